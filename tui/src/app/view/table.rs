//! The results table, the timeline and the detail pane. Only the visible
//! window of rows is turned into widgets, so 100 k rows cost what 30 do.

use pdnsfile::rrtype;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use super::{date, esc, muted, pane};
use crate::app::state::{App, Column, Focus};

/// Cuts `s` (escaped, so one column per character) to `width` columns,
/// marking the cut with '…'.
fn ellipsize(s: String, width: usize) -> String {
    if s.chars().count() <= width || width == 0 {
        return s;
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// Moves the scroll offset so the selection is visible in `height` rows,
/// and remembers the page size.
fn window(app: &App, height: usize) -> (usize, usize) {
    let height = height.max(1);
    let mut off = app.offset.get();
    if app.selected < off {
        off = app.selected;
    }
    if app.selected >= off + height {
        off = app.selected + 1 - height;
    }
    off = off.min(app.view.len().saturating_sub(1));
    app.offset.set(off);
    app.page.set(height);
    let end = (off + height).min(app.view.len());
    (off, end)
}

fn title(app: &App, what: &str) -> String {
    match &app.results {
        Some(r) => format!(
            " {what}: {} — row {}/{} ",
            esc(&r.text),
            if app.view.is_empty() {
                0
            } else {
                app.selected + 1
            },
            app.view.len()
        ),
        None => format!(" {what} "),
    }
}

fn empty_state(app: &App) -> &'static str {
    if app.loading.is_some() && app.results.is_none() {
        "searching…"
    } else if app.results.is_none() {
        "no query yet: press : and type one"
    } else if !app.narrow.text.is_empty() {
        "no row contains the narrowing text (esc clears it)"
    } else {
        "no match"
    }
}

/// The table: name, type, rdata, first, last, count and (when wide
/// enough) sources.
pub fn render_table(f: &mut Frame<'_>, area: Rect, app: &App) {
    let t = &app.theme;
    let block = pane(app, title(app, "Results"), app.focus == Focus::Table);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let wide = inner.width >= 110;
    let cols: Vec<Column> = Column::ALL
        .into_iter()
        .filter(|c| wide || *c != Column::Sources)
        .collect();
    let widths: Vec<Constraint> = cols
        .iter()
        .map(|c| match c {
            Column::Name => Constraint::Fill(3),
            Column::Type => Constraint::Length(6),
            Column::Rdata => Constraint::Fill(3),
            Column::First | Column::Last => Constraint::Length(10),
            Column::Count => Constraint::Length(8),
            Column::Sources => Constraint::Fill(2),
        })
        .collect();
    let rows_area = Rect {
        y: inner.y.saturating_add(1),
        height: inner.height.saturating_sub(1),
        ..inner
    };
    app.table_area.set(rows_area);
    if app.view.is_empty() {
        let header = Row::new(cols.iter().map(|c| Cell::from(c.title()))).style(t.header);
        f.render_widget(
            Table::new(Vec::<Row<'_>>::new(), widths).header(header),
            inner,
        );
        f.render_widget(
            Paragraph::new(Span::styled(empty_state(app), muted(app))),
            rows_area,
        );
        return;
    }
    let (start, end) = window(app, usize::from(rows_area.height));
    let rows_src = app.results.as_ref().map_or(&[][..], |r| &r.rows[..]);
    let focused = app.focus == Focus::Table;
    // The widths the table will give each column (as ratatui's Table
    // computes them), so a cut cell can end in '…' and never look whole.
    let col_w: Vec<usize> = Layout::horizontal(widths.clone())
        .flex(Flex::Start)
        .spacing(1)
        .split(inner)
        .iter()
        .map(|r| usize::from(r.width))
        .collect();
    let rows: Vec<Row<'_>> = app
        .view
        .get(start..end)
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .filter_map(|(i, idx)| {
            let e = rows_src.get(*idx)?;
            let selected = start + i == app.selected;
            let cells = cols.iter().enumerate().map(|(ci, c)| {
                let text = match c {
                    Column::Name => esc(&e.rrname),
                    Column::Type => rrtype::to_string(e.rrtype),
                    Column::Rdata => esc(&e.rdata),
                    Column::First => date(e.time_first),
                    Column::Last => date(e.time_last),
                    Column::Count => e.count.map_or_else(|| "?".into(), |n| n.to_string()),
                    Column::Sources => esc(&e.sources.join(",")),
                };
                let cell = Cell::from(ellipsize(text, col_w.get(ci).copied().unwrap_or(0)));
                if selected && *c == app.column {
                    cell.style(if focused { t.cell } else { t.accent })
                } else {
                    cell
                }
            });
            let row = Row::new(cells);
            Some(if selected {
                row.style(t.selection)
            } else {
                row
            })
        })
        .collect();
    let header = Row::new(cols.iter().map(|c| {
        let mark = match app.sort {
            Some((s, false)) if s == *c => " ▲",
            Some((s, true)) if s == *c => " ▼",
            _ => "",
        };
        Cell::from(format!("{}{mark}", c.title()))
    }))
    .style(t.header);
    f.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        inner,
    );
}

/// One bar per row on a shared time axis: what a name pointed to, when.
pub fn render_timeline(f: &mut Frame<'_>, area: Rect, app: &App) {
    let t = &app.theme;
    let block = pane(app, title(app, "Timeline"), app.focus == Focus::Table);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let rows_src = app.results.as_ref().map_or(&[][..], |r| &r.rows[..]);
    if app.view.is_empty() || inner.height < 2 {
        app.table_area.set(inner);
        f.render_widget(
            Paragraph::new(Span::styled(empty_state(app), muted(app))),
            inner,
        );
        return;
    }
    // The axis spans the whole view, not just the visible rows, so bars
    // keep their place while scrolling.
    let mut lo = u64::MAX;
    let mut hi = 0u64;
    let mut one_name: Option<&str> = None;
    let mut same = true;
    for e in app.view_rows() {
        lo = lo.min(e.time_first);
        hi = hi.max(e.time_last);
        match one_name {
            None => one_name = Some(&e.rrname),
            Some(n) if n != e.rrname => same = false,
            Some(_) => {}
        }
    }
    let rows_area = Rect {
        height: inner.height - 1,
        ..inner
    };
    app.table_area.set(rows_area);
    let label_w = (inner.width / 3).clamp(8, 40);
    let bar_w = inner.width.saturating_sub(label_w + 1).max(1);
    let span = hi.saturating_sub(lo).max(1);
    let x_of = |time: u64| -> u16 {
        let x = u128::from(time.saturating_sub(lo)) * u128::from(bar_w - 1) / u128::from(span);
        u16::try_from(x).unwrap_or(bar_w - 1)
    };
    let (start, end) = window(app, usize::from(rows_area.height));
    let mut lines: Vec<Line<'_>> = Vec::new();
    for (i, idx) in app.view.get(start..end).unwrap_or(&[]).iter().enumerate() {
        let Some(e) = rows_src.get(*idx) else {
            continue;
        };
        let label = if same {
            format!("{} {}", rrtype::to_string(e.rrtype), esc(&e.rdata))
        } else {
            format!("{} {}", esc(&e.rrname), esc(&e.rdata))
        };
        let label: String = label.chars().take(usize::from(label_w)).collect();
        let (a, b) = (x_of(e.time_first), x_of(e.time_last));
        let mut spans = vec![
            Span::raw(format!("{label:<w$} ", w = usize::from(label_w))),
            Span::raw(" ".repeat(usize::from(a))),
            Span::styled("█".repeat(usize::from(b - a + 1)), t.bar),
        ];
        let selected = start + i == app.selected;
        if selected {
            spans.push(Span::raw(
                " ".repeat(usize::from(bar_w.saturating_sub(b + 1))),
            ));
        }
        let line = Line::from(spans);
        lines.push(if selected {
            line.style(t.selection)
        } else {
            line
        });
    }
    f.render_widget(Paragraph::new(lines), rows_area);
    // The axis: dates at both ends and in the middle.
    let (l, m, r) = (date(lo), date(lo + span / 2), date(hi));
    let w = usize::from(bar_w);
    let mut axis = format!("{l:<w$}");
    if w > 34 {
        let mid = w / 2 - 5;
        axis.replace_range(mid..mid + 10, &m);
    }
    if w >= 22 {
        axis.replace_range(w - 10..w, &r);
    }
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::raw(" ".repeat(usize::from(label_w) + 1)),
            Span::styled(axis, muted(app)),
        ])),
        Rect {
            y: inner.y + inner.height - 1,
            height: 1,
            ..inner
        },
    );
}

/// Everything about the selected entry, and where Enter would go.
pub fn render_detail(f: &mut Frame<'_>, area: Rect, app: &App) {
    let t = &app.theme;
    let block = pane(app, " Detail ".into(), app.focus == Focus::Detail);
    let Some(e) = app.selected_entry() else {
        f.render_widget(
            Paragraph::new(Span::styled("no entry selected", muted(app))).block(block),
            area,
        );
        return;
    };
    let k = |s: &'static str| Span::styled(s, t.muted);
    let days = (e.time_last.saturating_sub(e.time_first)) / 86_400;
    let mut lines = vec![
        Line::from(vec![k("name   "), Span::styled(esc(&e.rrname), t.accent)]),
        Line::from(vec![
            k("type   "),
            Span::raw(rrtype::to_string(e.rrtype)),
            k("   count "),
            Span::raw(e.count.map_or_else(|| "unknown".into(), |n| n.to_string())),
            k("   sources "),
            Span::raw(esc(&e.sources.join(", "))),
        ]),
        Line::from(vec![
            k("seen   "),
            Span::raw(pdnsfile::time::rfc3339(e.time_first)),
            k(" .. "),
            Span::raw(pdnsfile::time::rfc3339(e.time_last)),
            Span::styled(format!("  ({days} days)"), t.muted),
        ]),
        Line::from(vec![k("rdata  "), Span::raw(esc(&e.rdata))]),
    ];
    if let Some(b) = &e.bailiwick {
        lines.push(Line::from(vec![k("bailiwick "), Span::raw(esc(b))]));
    }
    let pivot = match app.pivot_target() {
        Ok(q) => Line::from(vec![
            Span::styled("enter", t.key),
            k(" on "),
            Span::raw(app.column.title()),
            k(" → "),
            Span::styled(esc(&q), t.accent),
        ]),
        Err(why) => Line::from(Span::styled(esc(&why), t.muted)),
    };
    lines.push(pivot);
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((app.detail_scroll, 0)),
        area,
    );
}
