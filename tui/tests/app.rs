//! The terminal client without a terminal: key sequences drive
//! `App::update` on a fixture archive built here (fixed data and times),
//! queries run synchronously, and every screen is drawn into ratatui's
//! `TestBackend` at 80×24 and 120×40 and compared with the `insta`
//! snapshots in `tests/snapshots/`.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::AtomicU64;

use pdns::app::config::{self, Config};
use pdns::app::overview::Overview;
use pdns::app::state::{App, Column, Effect, Focus, Msg, Screen};
use pdns::app::{view, worker};
use pdnsfile::{Archive, Entry, Federation, Writer, WriterOptions};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

const DAY: u64 = 86_400;
/// 2024-01-01T00:00:00Z.
const T0: u64 = 1_704_067_200;

fn fixture() -> Federation {
    let mut rows: Vec<Entry> = Vec::new();
    let mut add =
        |name: &str, t: u16, rdata: &str, first: u64, last: u64, count: u64, src: &[&str]| {
            let mut e = Entry::new(
                name,
                t,
                rdata,
                T0 + first * DAY,
                T0 + last * DAY,
                Some(count),
            )
            .unwrap();
            for s in src {
                e.add_source(s);
            }
            rows.push(e);
        };
    add("evil.example", 1, "192.0.2.1", 0, 60, 120, &["dnsdb"]);
    add(
        "evil.example",
        1,
        "192.0.2.2",
        61,
        150,
        40,
        &["dnsdb", "sensor-ams1"],
    );
    add(
        "evil.example",
        1,
        "198.51.100.7",
        151,
        200,
        9,
        &["sensor-ams1"],
    );
    add("evil.example", 28, "2001:db8::bad", 30, 200, 77, &["dnsdb"]);
    add(
        "evil.example",
        2,
        "ns1.evil-dns.example",
        0,
        200,
        500,
        &["dnsdb"],
    );
    add(
        "evil.example",
        15,
        "10 mail.evil.example",
        10,
        90,
        5,
        &["dnsdb"],
    );
    add(
        "evil.example",
        16,
        "\"v=spf1 -all\"",
        5,
        6,
        1,
        &["sensor-ams1"],
    );
    // A hostile TXT: the escape sequence must be drawn as text.
    add(
        "evil.example",
        16,
        "\"\\027[2J\\027]0;pwned\\007\"",
        7,
        8,
        1,
        &["sensor-ams1"],
    );
    add(
        "www.evil.example",
        5,
        "evil.example",
        0,
        200,
        300,
        &["dnsdb"],
    );
    add("shop.example", 1, "192.0.2.1", 40, 100, 12, &["dnsdb"]);
    add("cdn.example", 1, "192.0.2.1", 90, 95, 3, &["circl"]);
    add(
        "good.example",
        2,
        "ns1.evil-dns.example",
        100,
        110,
        2,
        &["circl"],
    );
    add(
        "ns1.evil-dns.example",
        1,
        "203.0.113.53",
        0,
        200,
        900,
        &["dnsdb"],
    );
    for i in 0..40u64 {
        add(
            &format!("host{i:02}.bulk.example"),
            1,
            &format!("198.18.0.{i}"),
            i,
            i + 20,
            i + 1,
            &["dnsdb"],
        );
    }
    rows.sort_by(|a, b| a.cmp_key(b));
    let opts = WriterOptions {
        created_by: "fixture".into(),
        ..WriterOptions::default()
    };
    let mut w = Writer::new(Vec::new(), opts).unwrap();
    for e in &rows {
        w.add(e).unwrap();
    }
    let bytes = w.finish().unwrap();
    Federation::new(vec![Archive::from_vec(bytes).unwrap()])
}

struct Harness {
    fed: Federation,
    app: App,
}

impl Harness {
    fn new() -> Harness {
        Harness::with_config(Config::default())
    }

    fn with_config(config: Config) -> Harness {
        let fed = fixture();
        let app = App::new(Overview::of(&fed), &config);
        Harness { fed, app }
    }

    /// Applies a message and carries out its effects at once (queries
    /// run synchronously; copy and export are recorded).
    fn send(&mut self, msg: Msg) -> Vec<Effect> {
        let mut done = Vec::new();
        let mut queue = vec![msg];
        while let Some(m) = queue.pop() {
            for e in self.app.update(m) {
                if let Effect::Run(req) = &e {
                    let cur = AtomicU64::new(req.gen);
                    let prog = AtomicU64::new(0);
                    let reply = worker::execute(&self.fed, req, &cur, &prog).unwrap();
                    queue.push(Msg::Reply(reply));
                }
                if let Effect::Sort(job) = &e {
                    queue.push(job.run());
                }
                done.push(e);
            }
        }
        // Elapsed times vary: zero them so the drawn screens do not.
        if let Some(r) = &mut self.app.results {
            r.elapsed = std::time::Duration::ZERO;
        }
        done
    }

    fn key(&mut self, code: KeyCode) -> Vec<Effect> {
        self.send(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    fn keys(&mut self, s: &str) {
        for c in s.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    fn ctrl(&mut self, c: char) -> Vec<Effect> {
        self.send(Msg::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::CONTROL,
        )))
    }

    fn search(&mut self, q: &str) {
        self.key(KeyCode::Char(':'));
        self.ctrl('u');
        self.keys(q);
        self.key(KeyCode::Enter);
    }

    fn draw(&self, w: u16, h: u16) -> Terminal<TestBackend> {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| view::render(f, &self.app)).unwrap();
        t
    }

    fn snap(&self, name: &str) {
        for (w, h) in [(80, 24), (120, 40)] {
            // The table's scroll offset depends on the size drawn.
            self.app.offset.set(0);
            let t = self.draw(w, h);
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend());
        }
    }

    fn text(&self) -> String {
        self.draw(120, 40).backend().to_string()
    }
}

#[test]
fn overview_at_start_with_the_search_box_focused() {
    let h = Harness::new();
    assert_eq!(h.app.focus, Focus::Search);
    assert_eq!(h.app.screen, Screen::Overview);
    h.snap("overview");
}

#[test]
fn a_name_then_pivot_to_an_address_and_back() {
    let mut h = Harness::new();
    h.search("evil.example");
    assert_eq!(h.app.screen, Screen::Results);
    assert_eq!(h.app.focus, Focus::Table);
    assert_eq!(h.app.view.len(), 8);
    h.snap("results_name");
    // To the rdata column, to the first A row (key order puts A first).
    h.key(KeyCode::Char('l'));
    h.key(KeyCode::Char('l'));
    assert_eq!(h.app.column, Column::Rdata);
    h.key(KeyCode::Char('j'));
    assert_eq!(h.app.pivot_target().unwrap(), "192.0.2.2");
    h.snap("results_rdata_cell");
    h.key(KeyCode::Enter);
    assert_eq!(h.app.results.as_ref().unwrap().text, "192.0.2.2");
    assert_eq!(h.app.trail.len(), 2);
    assert!(h.text().contains("evil.example › 192.0.2.2"));
    h.key(KeyCode::Char('k')); // stays on row 0
    h.key(KeyCode::Backspace);
    assert_eq!(h.app.results.as_ref().unwrap().text, "evil.example");
    // Back restores where we were.
    assert_eq!(h.app.selected, 1);
    assert_eq!(h.app.column, Column::Rdata);
    h.key(KeyCode::Char(']'));
    assert_eq!(h.app.results.as_ref().unwrap().text, "192.0.2.2");
    h.send(Msg::Key(KeyEvent::new(KeyCode::Left, KeyModifiers::ALT)));
    assert_eq!(h.app.pos, 0);
    // A new pivot from the middle of the trail drops the forward steps.
    h.key(KeyCode::Char('h'));
    h.key(KeyCode::Char('h'));
    h.key(KeyCode::Char('G'));
    h.key(KeyCode::Enter);
    assert_eq!(h.app.results.as_ref().unwrap().text, "evil.example");
    // Same text as the current step: no new step, the forward one stays.
    assert_eq!((h.app.trail.len(), h.app.pos), (2, 0));
}

#[test]
fn ns_pivots_to_everything_naming_the_server() {
    let mut h = Harness::new();
    h.search("evil.example type:NS");
    assert_eq!(h.app.view.len(), 1);
    h.keys("ll");
    assert_eq!(h.app.pivot_target().unwrap(), "rdata:ns1.evil-dns.example");
    h.key(KeyCode::Enter);
    assert_eq!(h.app.view.len(), 2);
    h.snap("results_rdata_name_pivot");
    // A CNAME target pivots to the target's own history.
    h.search("www.evil.example");
    h.keys("ll");
    assert_eq!(h.app.pivot_target().unwrap(), "evil.example");
    // TXT has nothing to pivot on: a message, no query.
    h.search("evil.example type:TXT");
    h.keys("ll");
    let fx = h.key(KeyCode::Enter);
    assert!(fx.is_empty());
    assert!(h.app.status.as_ref().unwrap().1.contains("TXT"));
}

#[test]
fn hostile_strings_are_escaped() {
    let mut h = Harness::new();
    h.search("evil.example type:TXT");
    let screen = h.text();
    assert!(!screen.contains('\x1b'));
    assert!(screen.contains("\\027[2J"), "{screen}");
    h.snap("results_escaped");
    assert_eq!(view::esc("a\x1b[2Jb\u{e9}"), "a\\027[2Jb\\195\\169");
}

#[test]
fn timeline_and_detail() {
    let mut h = Harness::new();
    h.search("evil.example type:A");
    h.key(KeyCode::Char('t'));
    assert_eq!(h.app.screen, Screen::Timeline);
    h.snap("timeline");
    h.key(KeyCode::Tab);
    assert_eq!(h.app.focus, Focus::Detail);
    h.key(KeyCode::Tab);
    assert_eq!(h.app.focus, Focus::Search);
    h.key(KeyCode::Esc);
    assert_eq!(h.app.focus, Focus::Table);
    h.key(KeyCode::Char('o'));
    assert_eq!(h.app.screen, Screen::Overview);
}

#[test]
fn sort_narrow_and_movement() {
    let mut h = Harness::new();
    h.search("*.bulk.example");
    assert_eq!(h.app.view.len(), 40);
    // Sort by count (column 5), then reversed.
    for _ in 0..5 {
        h.key(KeyCode::Char('l'));
    }
    assert_eq!(h.app.column, Column::Count);
    h.key(KeyCode::Char('s'));
    assert_eq!(h.app.selected_entry().unwrap().count, Some(1));
    h.key(KeyCode::Char('s'));
    h.key(KeyCode::Char('g'));
    h.key(KeyCode::Char('g'));
    assert_eq!(h.app.selected_entry().unwrap().count, Some(40));
    h.snap("results_sorted");
    h.key(KeyCode::Char('G'));
    assert_eq!(h.app.selected, 39);
    h.ctrl('u');
    assert!(h.app.selected < 39);
    h.ctrl('d');
    assert_eq!(h.app.selected, 39);
    // Narrow live, then clear with esc.
    h.key(KeyCode::Char('/'));
    assert_eq!(h.app.focus, Focus::Narrow);
    h.keys("host1");
    assert_eq!(h.app.view.len(), 10);
    h.snap("results_narrowing");
    // One more character filters the view; erasing it widens again.
    h.keys("5");
    assert_eq!(h.app.view.len(), 1);
    h.key(KeyCode::Backspace);
    assert_eq!(h.app.view.len(), 10);
    h.keys("X");
    assert_eq!(h.app.view.len(), 0);
    h.key(KeyCode::Backspace);
    assert_eq!(h.app.view.len(), 10);
    h.key(KeyCode::Enter);
    assert_eq!(h.app.focus, Focus::Table);
    h.key(KeyCode::Char('q')); // q outside a text box quits...
    assert!(h.app.quit);
    h.app.quit = false;
    h.key(KeyCode::Esc);
    assert_eq!(h.app.view.len(), 40);
}

#[test]
fn q_types_in_the_search_box_and_ctrl_c_quits_from_anywhere() {
    let mut h = Harness::new();
    h.keys("q");
    assert!(!h.app.quit);
    assert_eq!(h.app.search.text, "q");
    let fx = h.ctrl('c');
    assert!(h.app.quit);
    assert!(matches!(fx.as_slice(), [Effect::Quit]));
}

#[test]
fn bad_queries_say_why_and_keep_the_focus() {
    let mut h = Harness::new();
    h.search("evil.example type:NOPE");
    assert_eq!(h.app.focus, Focus::Search);
    assert!(h.app.status.as_ref().unwrap().1.contains("NOPE"));
    h.snap("search_error");
    h.search("nothing.example");
    assert_eq!(h.app.view.len(), 0);
    h.snap("results_empty");
}

#[test]
fn help_is_generated_from_the_keymap() {
    let cfg = config::parse(
        "[keys.normal]\nback = [\"b\"]\n",
        std::path::Path::new("t.toml"),
        false,
    )
    .unwrap();
    let mut h = Harness::with_config(cfg);
    h.key(KeyCode::Esc);
    h.key(KeyCode::Char('?'));
    assert!(h.app.help.is_some());
    let screen = h.text();
    assert!(
        screen.contains("b                       Back along the breadcrumb"),
        "{screen}"
    );
    h.snap("help");
    h.key(KeyCode::Esc);
    assert!(h.app.help.is_none());
}

#[test]
fn export_and_copy() {
    let mut h = Harness::new();
    h.search("192.0.2.1");
    h.keys("e");
    assert_eq!(h.app.focus, Focus::Export);
    assert_eq!(h.app.export.text, "pdns-192.0.2.1.jsonl");
    h.snap("export_prompt");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.csv");
    h.ctrl('u');
    h.keys(path.to_str().unwrap());
    let fx = h.key(KeyCode::Enter);
    let [Effect::Export(p)] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    let format = pdns::app::export::ExportFormat::for_path(p);
    let n = pdns::app::export::write(p, h.app.view_rows(), format).unwrap();
    assert_eq!(n, 3);
    let csv = std::fs::read_to_string(&path).unwrap();
    assert!(csv.starts_with("rrname,rrtype,rdata,time_first,time_last,count,sources\n"));
    assert!(csv.contains("shop.example,A,192.0.2.1,"));
    // A second export to the same file is refused, not overwritten.
    let again = pdns::app::export::write(p, h.app.view_rows(), format).unwrap_err();
    assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
    let fx = h.keys_effects('y');
    assert!(matches!(fx.as_slice(), [Effect::Copy(s)] if s == "cdn.example"));
    let fx = h.keys_effects('Y');
    assert!(
        matches!(fx.as_slice(), [Effect::Copy(s)] if s.starts_with("{\"rrname\":\"cdn.example\""))
    );
}

impl Harness {
    fn keys_effects(&mut self, c: char) -> Vec<Effect> {
        self.key(KeyCode::Char(c))
    }
}

#[test]
fn stale_replies_are_ignored() {
    let mut h = Harness::new();
    let fx1 = h.app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('a'),
        KeyModifiers::NONE,
    )));
    assert!(fx1.is_empty());
    h.app.search.set("evil.example");
    let first = h
        .app
        .update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    h.app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char(':'),
        KeyModifiers::NONE,
    )));
    h.app.search.set("shop.example");
    let second = h
        .app
        .update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    let (Some(Effect::Run(r1)), Some(Effect::Run(r2))) = (first.first(), second.first()) else {
        panic!()
    };
    // The first query is cancelled when the second is submitted.
    let cur = AtomicU64::new(r2.gen);
    assert!(worker::execute(&h.fed, r1, &cur, &AtomicU64::new(0)).is_none());
    // A late reply for the first would be dropped.
    let cur1 = AtomicU64::new(r1.gen);
    let late = worker::execute(&h.fed, r1, &cur1, &AtomicU64::new(0)).unwrap();
    h.app.update(Msg::Reply(late));
    assert!(h.app.results.is_none());
    let reply = worker::execute(&h.fed, r2, &cur, &AtomicU64::new(0)).unwrap();
    h.app.update(Msg::Reply(reply));
    assert_eq!(h.app.results.as_ref().unwrap().text, "shop.example");
}

#[test]
fn row_cap_keeps_the_total() {
    let cfg = config::parse("max_rows = 5", std::path::Path::new("t"), false).unwrap();
    let mut h = Harness::with_config(cfg);
    h.search("*.bulk.example");
    let r = h.app.results.as_ref().unwrap();
    assert_eq!((r.rows.len(), r.total), (5, 40));
    assert!(h.text().contains("40 rows in 0 ms (first 5 kept)"));
}

#[test]
fn every_screen_draws_at_any_size_without_panicking() {
    let mut h = Harness::new();
    let sizes = [
        (1, 1),
        (10, 3),
        (20, 5),
        (40, 10),
        (79, 23),
        (80, 24),
        (200, 60),
    ];
    let check = |h: &Harness| {
        for (w, hh) in sizes {
            h.draw(w, hh);
        }
    };
    check(&h);
    h.search("evil.example");
    check(&h);
    h.key(KeyCode::Char('t'));
    check(&h);
    h.key(KeyCode::Char('?'));
    check(&h);
    h.key(KeyCode::Esc);
    h.search("nothing.example");
    h.key(KeyCode::Char('t'));
    check(&h);
}

#[test]
fn mouse_scrolls_and_clicks_select() {
    use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut h = Harness::new();
    h.search("*.bulk.example");
    h.draw(80, 24); // records where the rows are
    let at = |kind, column, row| {
        Msg::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    h.send(at(MouseEventKind::ScrollDown, 10, 10));
    assert_eq!(h.app.selected, 3);
    let area = h.app.table_area.get();
    h.send(at(
        MouseEventKind::Down(MouseButton::Left),
        area.x + 2,
        area.y + 5,
    ));
    assert_eq!(h.app.selected, 5);
    let search = h.app.search_area.get();
    h.send(at(
        MouseEventKind::Down(MouseButton::Left),
        search.x + 2,
        search.y + 1,
    ));
    assert_eq!(h.app.focus, Focus::Search);
}

#[test]
fn themes_light_and_no_color_differ_only_in_style() {
    let mut h = Harness::new();
    h.search("evil.example");
    let dark = h.draw(80, 24);
    h.app.theme = pdns::app::theme::Theme::light();
    let light = h.draw(80, 24);
    h.app.theme = pdns::app::theme::Theme::monochrome();
    let mono = h.draw(80, 24);
    assert_eq!(dark.backend().to_string(), mono.backend().to_string());
    assert_eq!(light.backend().to_string(), mono.backend().to_string());
    // No colour at all without colours; the selection still shows.
    let buf = mono.backend().buffer();
    assert!(buf
        .content()
        .iter()
        .all(|c| c.fg == ratatui::style::Color::Reset && c.bg == ratatui::style::Color::Reset));
    assert!(buf
        .content()
        .iter()
        .any(|c| c.modifier.contains(ratatui::style::Modifier::REVERSED)));
    // The selected row's styles, cell by cell, in the dark theme.
    let row: Vec<String> = (0..80)
        .filter_map(|x| dark.backend().buffer().cell((x, 6)))
        .map(|c| format!("{:?}/{:?}", c.fg, c.bg))
        .collect();
    insta::assert_debug_snapshot!(
        "dark_selected_row_styles",
        row.chunks(10).map(|c| c.join(" ")).collect::<Vec<_>>()
    );
}

#[test]
fn the_readme_config_example_parses() {
    let readme = include_str!("../../README.md");
    let start = readme.find("```toml\ntheme").unwrap() + "```toml\n".len();
    let len = readme[start..].find("```").unwrap();
    let cfg = config::parse(
        &readme[start..start + len],
        std::path::Path::new("README"),
        false,
    )
    .unwrap();
    assert!(cfg.mouse);
    assert_eq!(
        cfg.theme.selection.bg,
        Some(ratatui::style::Color::Indexed(238))
    );
}

#[test]
fn large_sorts_run_off_the_drawing_thread() {
    let mut app = App::new(Overview::default(), &Config::default());
    app.search.set("192.0.2.1");
    let fx = app.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    let Some(Effect::Run(req)) = fx.first() else {
        panic!("{fx:?}")
    };
    let n = pdns::app::state::INLINE_SORT_ROWS as u64 + 5;
    let rows: Vec<Entry> = (0..n)
        .map(|i| {
            Entry::new(
                &format!("h{i}.example"),
                1,
                "192.0.2.1",
                T0,
                T0 + i,
                Some(n - i),
            )
            .unwrap()
        })
        .collect();
    app.update(Msg::Reply(worker::Reply::Done {
        gen: req.gen,
        rows,
        total: n,
        elapsed: std::time::Duration::ZERO,
    }));
    for _ in 0..5 {
        app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char('l'),
            KeyModifiers::NONE,
        )));
    }
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('j'),
        KeyModifiers::NONE,
    )));
    let before = app.selected_entry().unwrap().clone();
    let fx = app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('s'),
        KeyModifiers::NONE,
    )));
    let [Effect::Sort(job)] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert!(app.sorting.is_some());
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| view::render(f, &app)).unwrap();
    assert!(t.backend().to_string().contains("sorting"));
    // A stale sort is dropped; the current one applies and keeps the row.
    app.update(Msg::Sorted {
        gen: job.gen + 100,
        order: vec![],
    });
    assert!(app.sorting.is_some());
    app.update(job.run());
    assert!(app.sorting.is_none());
    assert_eq!(app.selected_entry().unwrap(), &before);
    assert_eq!(app.view.first().copied(), Some(n as usize - 1));
}

#[test]
fn detail_pane_with_focus() {
    let mut h = Harness::new();
    h.search("evil.example type:NS");
    h.keys("ll");
    h.key(KeyCode::Tab);
    assert_eq!(h.app.focus, Focus::Detail);
    assert!(h.text().contains("1 row in 0 ms"));
    h.snap("detail_focused");
}
