//! The help overlay, generated from the keymap in effect (so rebinding a
//! key in the config file changes the help too) and the search syntax.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::pane;
use crate::app::keymap::{Action, Mode};
use crate::app::search::FILTER_WORDS;
use crate::app::state::App;

/// The help text, one line per entry.
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut out = Vec::new();
    let section = |s: &str| Line::from(Span::styled(s.to_string(), t.title));
    for (mode, title) in [
        (Mode::Normal, "Keys outside text boxes"),
        (
            Mode::Input,
            "Keys in text boxes (search, / narrowing, export path)",
        ),
    ] {
        out.push(section(title));
        for a in Action::ALL.iter().filter(|a| a.mode() == mode) {
            let keys = app.keymap.keys_for(*a);
            if keys.is_empty() {
                continue;
            }
            out.push(Line::from(vec![
                Span::styled(format!("  {keys:<24}"), t.key),
                Span::raw(a.description()),
            ]));
        }
        out.push(Line::default());
    }
    out.push(Line::from(vec![
        Span::styled("  ctrl-c                  ", t.key),
        Span::raw("Quit, from anywhere"),
    ]));
    out.push(Line::default());
    out.push(section("Search"));
    for (q, what) in [
        ("www.example.com", "one name"),
        ("*.example.com", "everything below a zone"),
        ("www.example.*", "names starting with these labels"),
        (
            "~paypal.com, ~2paypal.com",
            "names within edit distance 1 or 2",
        ),
        ("/^mail[0-9]+\\./", "names matching a regular expression"),
        ("192.0.2.1, 2001:db8::1", "who pointed at an address"),
        ("192.0.2.0/24", "who pointed into a prefix"),
        (
            "rdata:ns1.example.net",
            "records whose rdata names it (rdata:*.zone too)",
        ),
    ] {
        out.push(Line::from(vec![
            Span::styled(format!("  {q:<28}"), t.accent),
            Span::raw(what),
        ]));
    }
    for (w, what) in FILTER_WORDS {
        out.push(Line::from(vec![
            Span::styled(format!("  {w:<28}"), t.accent),
            Span::raw(*what),
        ]));
    }
    out.push(Line::default());
    out.push(section("Pivots (enter on a cell)"));
    for (c, what) in [
        ("name", "that name's history"),
        ("rdata A/AAAA", "every name on that address"),
        ("rdata CNAME", "the target's history"),
        (
            "rdata NS/MX/SRV/PTR/SOA",
            "every record naming that host (rdata:)",
        ),
        ("type, sources", "the same query filtered to it"),
    ] {
        out.push(Line::from(vec![
            Span::styled(format!("  {c:<28}"), t.accent),
            Span::raw(what),
        ]));
    }
    out
}

/// Draws the overlay over `area`, scrolled by `scroll` lines.
pub fn render(f: &mut Frame<'_>, area: Rect, app: &App, scroll: u16) {
    let w = area.width.saturating_sub(4).min(100);
    let h = area.height.saturating_sub(2);
    let popup = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + 1,
        width: w,
        height: h,
    };
    let text = lines(app);
    let max = u16::try_from(text.len())
        .unwrap_or(u16::MAX)
        .saturating_sub(h.saturating_sub(2));
    f.render_widget(Clear, popup);
    f.render_widget(
        Paragraph::new(text)
            .block(pane(
                app,
                format!(
                    " Help ({} closes, {} / {} scroll) ",
                    app.keymap.first_key(Action::Clear).unwrap_or_default(),
                    app.keymap.first_key(Action::Down).unwrap_or_default(),
                    app.keymap.first_key(Action::Up).unwrap_or_default(),
                ),
                true,
            ))
            .scroll((scroll.min(max), 0)),
        popup,
    );
}
