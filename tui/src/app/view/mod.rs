//! Drawing: pure functions of [`App`] (the only state they write is the
//! table's scroll offset and the areas used by the mouse, kept in
//! `Cell`s). Every string that comes from an archive or from the user goes
//! through [`esc`] before it reaches the terminal.
//!
//! ```text
//!  pdns  www.ietf.org › 4.31.198.44                       title + breadcrumb
//! ┌Search────────────────────────────────────────────┐
//! │www.ietf.org type:A                               │   search box
//! └──────────────────────────────────────────────────┘
//! ┌Results───────────────────────────────────────────┐
//! │name        type rdata     first      last   count│   overview, results
//! │…                                                 │   table or timeline
//! └──────────────────────────────────────────────────┘
//! ┌Detail────────────────────────────────────────────┐   (results, timeline)
//! └──────────────────────────────────────────────────┘
//!  ⠋ 12 rows in 3 ms                       ? help q quit   status line
//! ```

mod help;
mod overview;
mod table;

use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::keymap::Action;
use super::state::{App, Focus, Screen, StatusKind};

/// Escapes a string for the terminal: printable ASCII passes, everything
/// else (control characters, ESC, non-ASCII) becomes `\ddd`.
pub fn esc(s: &str) -> String {
    pdnsfile::record::escape_text_str(s)
}

/// The date part of a time, `YYYY-MM-DD`.
pub fn date(t: u64) -> String {
    let s = pdnsfile::time::rfc3339(t);
    s.get(..10).map(str::to_string).unwrap_or(s)
}

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// Draws the whole client.
pub fn render(f: &mut Frame<'_>, app: &App) {
    let [title, search, main, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(3),
        Constraint::Min(4),
        Constraint::Length(1),
    ])
    .areas(f.area());
    render_title(f, title, app);
    render_search(f, search, app);
    match app.screen {
        Screen::Overview => overview::render(f, main, app),
        Screen::Results | Screen::Timeline => {
            let detail_h = if main.height >= 30 { 9 } else { 7 };
            let [top, bottom] =
                Layout::vertical([Constraint::Min(3), Constraint::Length(detail_h)]).areas(main);
            if app.screen == Screen::Results {
                table::render_table(f, top, app);
            } else {
                table::render_timeline(f, top, app);
            }
            table::render_detail(f, bottom, app);
        }
    }
    render_status(f, status, app);
    if let Some(scroll) = app.help {
        help::render(f, f.area(), app, scroll);
    }
}

/// A bordered block, highlighted when it has focus.
fn pane<'a>(app: &App, title: String, focused: bool) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(if focused {
            app.theme.border_focus
        } else {
            app.theme.border
        })
        .title(Span::styled(title, app.theme.title))
}

fn render_title(f: &mut Frame<'_>, area: Rect, app: &App) {
    let t = &app.theme;
    let mut spans = vec![Span::styled(" pdns ", t.title), Span::raw(" ")];
    // The breadcrumb, cut from the left when it is too long: the latest
    // steps matter most.
    let mut crumbs: Vec<Span<'_>> = Vec::new();
    for (i, step) in app.trail.iter().enumerate() {
        if i > 0 {
            crumbs.push(Span::styled(" › ", t.muted));
        }
        let style = if i == app.pos { t.accent } else { t.muted };
        crumbs.push(Span::styled(esc(&step.text), style));
    }
    let budget = usize::from(area.width).saturating_sub(8);
    let mut width: usize = crumbs.iter().map(|s| s.content.chars().count()).sum();
    let mut start = 0;
    while width > budget && start < crumbs.len() {
        width -= crumbs.get(start).map_or(0, |s| s.content.chars().count());
        start += 1;
    }
    if start > 0 {
        spans.push(Span::styled("… ", t.muted));
    }
    spans.extend(crumbs.into_iter().skip(start));
    if app.trail.is_empty() {
        spans.push(Span::styled(
            format!(
                "{} archive(s), {} entries",
                app.overview.archives.len(),
                app.overview.records
            ),
            t.muted,
        ));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn render_search(f: &mut Frame<'_>, area: Rect, app: &App) {
    app.search_area.set(area);
    let focused = app.focus == Focus::Search;
    let hint = if focused {
        " Search: name, *.zone, prefix.*, ~fuzzy, /regex/, IP, CIDR, rdata:NAME + type: after: before: "
    } else {
        " Search "
    };
    let block = pane(app, hint.to_string(), focused);
    let inner = block.inner(area);
    let text = esc(&app.search.text);
    // Keep the cursor in view on long queries.
    let cursor_col = esc(&app
        .search
        .text
        .chars()
        .take(app.search.cursor)
        .collect::<String>())
    .chars()
    .count();
    let w = usize::from(inner.width.max(1));
    let skip = (cursor_col + 1).saturating_sub(w);
    let shown: String = text.chars().skip(skip).collect();
    let para = if shown.is_empty() {
        Paragraph::new(Span::styled(
            "a name, an address, a CIDR or *.zone, then enter (esc then ? for help)",
            app.theme.muted,
        ))
    } else {
        Paragraph::new(shown).style(app.theme.text)
    };
    f.render_widget(para.block(block), area);
    if focused {
        let x = inner.x + u16::try_from(cursor_col - skip).unwrap_or(0);
        f.set_cursor_position(Position::new(
            x.min(inner.right().saturating_sub(1)),
            inner.y,
        ));
    }
}

fn render_status(f: &mut Frame<'_>, area: Rect, app: &App) {
    let t = &app.theme;
    if matches!(app.focus, Focus::Narrow | Focus::Export) {
        let (label, tb) = if app.focus == Focus::Narrow {
            ("/", &app.narrow)
        } else {
            ("export to (.csv: CSV, else COF JSON lines): ", &app.export)
        };
        let text = esc(&tb.text);
        let line = Line::from(vec![Span::styled(label, t.key), Span::raw(text)]);
        f.render_widget(Paragraph::new(line), area);
        let cursor_col = esc(&tb.text.chars().take(tb.cursor).collect::<String>())
            .chars()
            .count();
        let x = area.x + u16::try_from(label.chars().count() + cursor_col).unwrap_or(0);
        f.set_cursor_position(Position::new(x.min(area.right().saturating_sub(1)), area.y));
        return;
    }
    let mut left: Vec<Span<'_>> = Vec::new();
    if let Some(l) = &app.loading {
        let frame = SPINNER
            .get((app.tick % SPINNER.len() as u64) as usize)
            .copied()
            .unwrap_or("*");
        left.push(Span::styled(
            format!(
                " {frame} searching {} … {} matches so far ",
                esc(&l.text),
                app.progress
            ),
            t.accent,
        ));
    } else if app.sorting.is_some() {
        let frame = SPINNER
            .get((app.tick % SPINNER.len() as u64) as usize)
            .copied()
            .unwrap_or("*");
        left.push(Span::styled(
            format!(" {frame} sorting {} rows … ", app.view.len()),
            t.accent,
        ));
    } else if let Some((kind, msg)) = &app.status {
        let style = match kind {
            StatusKind::Info => t.text,
            StatusKind::Ok => t.ok,
            StatusKind::Error => t.error,
        };
        left.push(Span::styled(format!(" {} ", esc(msg)), style));
    } else if let Some(r) = &app.results {
        left.push(Span::styled(
            format!(" {} ", results_summary(app, r)),
            t.muted,
        ));
    }
    let hints = hints(app);
    let hint_w = hints
        .iter()
        .map(|s| s.content.chars().count())
        .sum::<usize>();
    let [l, r] = Layout::horizontal([
        Constraint::Min(10),
        Constraint::Length(u16::try_from(hint_w).unwrap_or(0)),
    ])
    .areas(area);
    f.render_widget(Paragraph::new(Line::from(left)), l);
    f.render_widget(Paragraph::new(Line::from(hints)).right_aligned(), r);
}

/// `12 rows in 3 ms`, with what narrowing, sorting and the row cap did.
pub fn results_summary(app: &App, r: &super::state::Results) -> String {
    let mut s = format!(
        "{} {} in {} ms",
        r.total,
        if r.total == 1 { "row" } else { "rows" },
        r.elapsed.as_millis()
    );
    if (r.rows.len() as u64) < r.total {
        s.push_str(&format!(" (first {} kept)", r.rows.len()));
    }
    if !app.narrow.text.is_empty() {
        s.push_str(&format!(
            ", {} match /{}",
            app.view.len(),
            esc(&app.narrow.text)
        ));
    }
    if let Some((c, desc)) = app.sort {
        s.push_str(&format!(
            ", by {} {}",
            c.title(),
            if desc { "desc" } else { "asc" }
        ));
    }
    s
}

fn hints(app: &App) -> Vec<Span<'static>> {
    let t = &app.theme;
    let actions: &[Action] = if app.focus == Focus::Search {
        &[]
    } else if app.results.is_some() {
        &[Action::Help, Action::Pivot, Action::Back, Action::Quit]
    } else {
        &[Action::Help, Action::Quit]
    };
    let mut out = Vec::new();
    if app.focus == Focus::Search {
        out.push(Span::styled("enter", t.key));
        out.push(Span::styled(" run  ", t.muted));
        out.push(Span::styled("esc", t.key));
        out.push(Span::styled(" leave ", t.muted));
        return out;
    }
    for a in actions {
        if let Some(k) = app.keymap.first_key(*a) {
            out.push(Span::styled(k, t.key));
            out.push(Span::styled(format!(" {} ", short(*a)), t.muted));
        }
    }
    out
}

fn short(a: Action) -> &'static str {
    match a {
        Action::Help => "help",
        Action::Pivot => "pivot",
        Action::Back => "back",
        Action::Quit => "quit",
        _ => "",
    }
}

/// A style for muted text, used by the sub-views.
fn muted(app: &App) -> Style {
    app.theme.muted
}
