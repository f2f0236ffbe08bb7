//! Colours by role, never raw colours in view code: a dark and a light
//! preset, user overrides per role, and `NO_COLOR`, which keeps only bold,
//! reverse and underline so that colour is never the only signal.

use ratatui::style::{Color, Modifier, Style};

/// The roles the views draw with.
pub const ROLES: &[&str] = &[
    "text",
    "muted",
    "accent",
    "title",
    "border",
    "border_focus",
    "header",
    "selection",
    "cell",
    "error",
    "ok",
    "bar",
    "spark",
    "key",
];

/// Styles by role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Theme {
    /// Ordinary text.
    pub text: Style,
    /// Secondary text: hints, axes, empty states.
    pub muted: Style,
    /// Things that can be pivoted on, the current breadcrumb step.
    pub accent: Style,
    /// Titles of panes.
    pub title: Style,
    /// Borders of panes without focus.
    pub border: Style,
    /// The border of the pane with focus.
    pub border_focus: Style,
    /// Table headers.
    pub header: Style,
    /// The selected row.
    pub selection: Style,
    /// The selected cell inside the selected row (what Enter pivots on).
    pub cell: Style,
    /// Error messages.
    pub error: Style,
    /// Success messages.
    pub ok: Style,
    /// Timeline bars.
    pub bar: Style,
    /// The overview's activity sparkline.
    pub spark: Style,
    /// Keys in help and hints.
    pub key: Style,
}

impl Theme {
    /// Light text on a dark terminal.
    pub fn dark() -> Theme {
        Theme {
            text: Style::new(),
            muted: Style::new().fg(Color::DarkGray),
            accent: Style::new().fg(Color::Cyan),
            title: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            border: Style::new().fg(Color::DarkGray),
            border_focus: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            header: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            selection: Style::new().bg(Color::Indexed(237)),
            cell: Style::new()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            error: Style::new()
                .fg(Color::LightRed)
                .add_modifier(Modifier::BOLD),
            ok: Style::new().fg(Color::Green),
            bar: Style::new().fg(Color::Cyan),
            spark: Style::new().fg(Color::Green),
            key: Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
        }
    }

    /// Dark text on a light terminal.
    pub fn light() -> Theme {
        Theme {
            text: Style::new(),
            muted: Style::new().fg(Color::Gray),
            accent: Style::new().fg(Color::Blue),
            title: Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
            border: Style::new().fg(Color::Gray),
            border_focus: Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD),
            header: Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD),
            selection: Style::new().bg(Color::Indexed(254)),
            cell: Style::new()
                .fg(Color::White)
                .bg(Color::Blue)
                .add_modifier(Modifier::BOLD),
            error: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            ok: Style::new().fg(Color::Green),
            bar: Style::new().fg(Color::Blue),
            spark: Style::new().fg(Color::Green),
            key: Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
        }
    }

    /// No colour at all (`NO_COLOR`): selection and focus by reverse, bold
    /// and underline.
    pub fn monochrome() -> Theme {
        let plain = Style::new();
        Theme {
            text: plain,
            muted: plain,
            accent: plain.add_modifier(Modifier::UNDERLINED),
            title: plain.add_modifier(Modifier::BOLD),
            border: plain,
            border_focus: plain.add_modifier(Modifier::BOLD),
            header: plain.add_modifier(Modifier::BOLD),
            selection: plain.add_modifier(Modifier::REVERSED),
            cell: plain.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            error: plain.add_modifier(Modifier::BOLD),
            ok: plain,
            bar: plain,
            spark: plain,
            key: plain.add_modifier(Modifier::BOLD),
        }
    }

    /// The style of a role by name, for overrides.
    pub fn role_mut(&mut self, role: &str) -> Option<&mut Style> {
        Some(match role {
            "text" => &mut self.text,
            "muted" => &mut self.muted,
            "accent" => &mut self.accent,
            "title" => &mut self.title,
            "border" => &mut self.border,
            "border_focus" => &mut self.border_focus,
            "header" => &mut self.header,
            "selection" => &mut self.selection,
            "cell" => &mut self.cell,
            "error" => &mut self.error,
            "ok" => &mut self.ok,
            "bar" => &mut self.bar,
            "spark" => &mut self.spark,
            "key" => &mut self.key,
            _ => return None,
        })
    }
}

/// Parses an override: `"cyan"`, `"#1e90ff"`, `"237"`, or `"FG on BG"`.
pub fn parse_style(base: Style, s: &str) -> Option<Style> {
    let (fg, bg) = match s.split_once(" on ") {
        Some((f, b)) => (f.trim(), Some(b.trim())),
        None => (s.trim(), None),
    };
    let mut st = base;
    if !fg.is_empty() {
        st = st.fg(fg.parse::<Color>().ok()?);
    }
    if let Some(b) = bg {
        st = st.bg(b.parse::<Color>().ok()?);
    }
    Some(st)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn roles_are_all_reachable() {
        let mut t = Theme::dark();
        for r in ROLES {
            assert!(t.role_mut(r).is_some(), "{r}");
        }
        assert!(parse_style(Style::new(), "#1e90ff on black").is_some());
        assert!(parse_style(Style::new(), "chartreuse-ish").is_none());
    }
}
