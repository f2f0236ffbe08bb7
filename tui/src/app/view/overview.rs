//! The overview: the archives, their counts by type and source, and an
//! activity sparkline from the META histograms.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};
use ratatui::Frame;

use super::{date, esc, muted, pane};
use crate::app::overview::resample;
use crate::app::state::App;

/// Draws the overview screen.
pub fn render(f: &mut Frame<'_>, area: Rect, app: &App) {
    let o = &app.overview;
    let t = &app.theme;
    let shown = o.archives.len().min(4);
    let arch_h = u16::try_from(shown).unwrap_or(4) + 3;
    let [arch, counts, spark] = Layout::vertical([
        Constraint::Length(arch_h),
        Constraint::Min(3),
        Constraint::Length(5),
    ])
    .areas(area);

    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{} entries", o.records), t.accent),
        Span::raw(match o.span {
            Some((a, b)) => format!(", seen {} .. {}", date(a), date(b)),
            None => String::from(", empty"),
        }),
    ])];
    for a in o.archives.iter().take(shown) {
        lines.push(Line::from(vec![
            Span::raw(esc(&a.label)),
            Span::styled(
                format!(
                    "  {} entries, {} names{}",
                    a.records,
                    a.names,
                    a.span
                        .map(|(x, y)| format!(", {} .. {}", date(x), date(y)))
                        .unwrap_or_default()
                ),
                muted(app),
            ),
        ]));
    }
    if o.archives.len() > shown {
        lines.push(Line::from(Span::styled(
            format!("… and {} more archives", o.archives.len() - shown),
            muted(app),
        )));
    }
    f.render_widget(
        Paragraph::new(lines).block(pane(
            app,
            format!(" Archives ({}) ", o.archives.len()),
            false,
        )),
        arch,
    );

    let [types, sources] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(counts);
    for (area, title, data) in [
        (types, " Entries by type ", &o.by_type),
        (sources, " Entries by source ", &o.by_source),
    ] {
        let inner_h = usize::from(area.height.saturating_sub(2));
        let inner_w = usize::from(area.width.saturating_sub(2));
        let max = data.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
        let label_w = data
            .iter()
            .map(|(l, _)| esc(l).chars().count())
            .max()
            .unwrap_or(0)
            .min(inner_w / 2);
        let num_w = 10;
        let bar_room = inner_w.saturating_sub(label_w + num_w + 2);
        let mut lines: Vec<Line<'_>> = data
            .iter()
            .take(inner_h)
            .map(|(label, n)| {
                let l: String = esc(label).chars().take(label_w).collect();
                let bar = usize::try_from(u128::from(*n) * bar_room as u128 / u128::from(max))
                    .unwrap_or(0)
                    .max(1);
                Line::from(vec![
                    Span::raw(format!("{l:<label_w$} ")),
                    Span::styled(format!("{n:>num_w$} ", num_w = num_w - 1), muted(app)),
                    Span::styled("▇".repeat(bar), t.bar),
                ])
            })
            .collect();
        if data.len() > inner_h && inner_h > 0 {
            lines.pop();
            lines.push(Line::from(Span::styled(
                format!("… {} more", data.len() - inner_h + 1),
                muted(app),
            )));
        }
        if data.is_empty() {
            lines.push(Line::from(Span::styled("(no META counts)", muted(app))));
        }
        f.render_widget(
            Paragraph::new(lines).block(pane(app, title.into(), false)),
            area,
        );
    }

    let block = pane(app, " Activity (entries first seen per day) ".into(), false);
    let inner = block.inner(spark);
    f.render_widget(block, spark);
    if inner.height == 0 {
        return;
    }
    let [bars, axis] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    let data = resample(&o.daily, usize::from(inner.width));
    f.render_widget(Sparkline::default().data(&data).style(t.spark), bars);
    if !o.daily.is_empty() {
        let first = o.first_day * 86_400;
        let last = (o.first_day + o.daily.len() as u64 - 1) * 86_400;
        let w = usize::from(inner.width);
        let (l, r) = (date(first), date(last));
        let gap = w.saturating_sub(l.len() + r.len());
        f.render_widget(
            Paragraph::new(Span::styled(
                format!("{l}{}{r}", " ".repeat(gap)),
                muted(app),
            )),
            axis,
        );
    }
}
