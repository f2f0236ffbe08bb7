//! The real binary in a real terminal: `pdns demo` inside a private tmux
//! server, driven with `send-keys` and read with `capture-pane`. Search a
//! name, pivot to an address, go back, export, quit, and check the screens,
//! the exported file and that the process exited cleanly.
//!
//! Skips (with a notice) when tmux is not installed; `.ci/run` installs it.
//! Slow and timing-dependent by nature, so every wait polls the screen
//! for what it expects, up to a generous deadline, instead of sleeping.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A private tmux server (own socket), killed when dropped.
struct Tmux {
    socket: String,
    session: String,
    /// Where the wrapper shell writes the client's exit status.
    status: std::path::PathBuf,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap()
    }

    fn send(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        assert!(self.run(&args).status.success());
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(
            &self
                .run(&["capture-pane", "-p", "-t", &self.session])
                .stdout,
        )
        .into_owned()
    }

    fn pane(&self, format: &str) -> String {
        String::from_utf8_lossy(
            &self
                .run(&["display-message", "-p", "-t", &self.session, format])
                .stdout,
        )
        .trim()
        .to_string()
    }

    /// Waits until the screen satisfies `ok`, or fails showing it.
    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

fn tmux_missing() -> bool {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("NOTICE: tmux is not installed; skipping the tmux end-to-end test (apt-get install -y tmux)");
        return true;
    }
    false
}

/// Starts `pdns demo` in a fresh tmux server with its own cache, config
/// and working folders under `home`.
fn start(home: &Path, tag: &str) -> Tmux {
    for d in ["cache", "config", "work"] {
        std::fs::create_dir_all(home.join(d)).unwrap();
    }
    let bin = env!("CARGO_BIN_EXE_pdns");
    let t = Tmux {
        socket: format!("pdns-e2e-{tag}-{}", std::process::id()),
        session: "e2e".into(),
        status: home.join("status"),
    };
    // tmux 3.3 does not always record a dead pane's exit status, so a
    // shell around the client writes it to a file.
    let cmd = format!(
        "XDG_CACHE_HOME={} XDG_CONFIG_HOME={} PDNS_TUI_CONFIG= NO_COLOR= {bin} demo; echo $? > {}",
        home.join("cache").display(),
        home.join("config").display(),
        t.status.display(),
    );
    let work = home.join("work");
    let out = t.run(&[
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        "e2e",
        "-x",
        "100",
        "-y",
        "30",
        "-c",
        work.to_str().unwrap(),
        "sh",
        "-c",
        &cmd,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Keep the pane after the client exits, to read the screen it left.
    t.run(&["set-option", "-t", "e2e", "remain-on-exit", "on"]);
    t
}

impl Tmux {
    /// Waits for the client to exit and returns its exit status.
    fn wait_exit(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(st) = std::fs::read_to_string(&self.status) {
                if st.ends_with('\n') {
                    return st.trim().to_string();
                }
            }
            assert!(
                Instant::now() < deadline,
                "pdns did not exit:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The client's pid: the only child of the pane's shell.
    fn client_pid(&self) -> String {
        let sh = self.pane("#{pane_pid}");
        let children = std::fs::read_to_string(format!("/proc/{sh}/task/{sh}/children")).unwrap();
        children.split_whitespace().next().unwrap().to_string()
    }
}

#[test]
fn demo_search_pivot_back_export_quit() {
    if tmux_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let t = start(dir.path(), "flow");
    let work = dir.path().join("work");
    // Each wait names everything it expects, down to the status line:
    // tmux can show a frame half drawn.
    t.wait_for("the overview", |s| {
        s.contains("Archives (1)") && s.contains("Entries by type") && s.contains("Activity")
    });

    // The search box has focus at start: type and run.
    t.send(&["www.ietf.org", "Enter"]);
    t.wait_for("the name's results", |s| {
        s.contains("Results: www.ietf.org")
            && s.contains("4.31.198.44")
            && s.contains("2001:1890:1112:1::20")
            && s.contains("2 rows in")
    });

    // Two columns right to rdata, Enter pivots to the address.
    t.send(&["l", "l", "Enter"]);
    t.wait_for("the address's results", |s| {
        s.contains("Results: 4.31.198.44")
            && s.contains("www.ietf.org › 4.31.198.44")
            && s.lines().any(|l| l.contains(" in ") && l.contains(" ms")) // "N rows in T ms"
    });

    // Back along the breadcrumb.
    t.send(&["BSpace"]);
    t.wait_for("the name again", |s| {
        s.contains("Results: www.ietf.org") && s.contains("2 rows in")
    });

    // Export with the default name, in the folder the client runs in.
    t.send(&["e"]);
    t.wait_for("the export prompt", |s| s.contains("export to"));
    t.send(&["Enter"]);
    t.wait_for("the export message", |s| s.contains("exported 2 rows"));
    let file = work.join("pdns-www.ietf.org.jsonl");
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("{\"rrname\":\"www.ietf.org\"")),
        "{text}"
    );
    assert!(Path::new(&file).exists());

    // q quits outside a text box; the process exits with status 0 and
    // leaves the alternate screen.
    t.send(&["q"]);
    assert_eq!(t.wait_exit(), "0");
    assert!(
        !t.screen().contains("Results:"),
        "alternate screen not left"
    );
}

#[test]
fn sigterm_restores_the_terminal() {
    if tmux_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let t = start(dir.path(), "term");
    t.wait_for("the overview", |s| {
        s.contains("Archives (1)") && s.contains("Activity")
    });
    let pid = t.client_pid();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    assert_eq!(t.wait_exit(), "0");
    assert!(
        !t.screen().contains("Archives (1)"),
        "alternate screen not left"
    );
}

/// When the terminal goes away (window closed, tmux killed, ssh dropped),
/// the client must exit instead of spinning on the dead terminal: an
/// earlier version stayed behind at full CPU.
#[test]
fn hangup_ends_the_client() {
    if tmux_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let t = start(dir.path(), "hup");
    t.wait_for("the overview", |s| {
        s.contains("Archives (1)") && s.contains("Activity")
    });
    let pid = t.client_pid();
    t.run(&["kill-server"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // Gone, or a zombie waiting for its parent: either way it stopped.
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let running = state
            .rsplit(')')
            .next()
            .and_then(|rest| rest.split_whitespace().next())
            .is_some_and(|st| st != "Z" && st != "X");
        if !running {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "pdns still running 10 s after its terminal hung up: {state}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
