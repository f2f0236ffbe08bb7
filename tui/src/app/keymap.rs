//! Keys as data: every action has a name (used in the config file), a
//! description (used by the help screen) and default bindings per mode.
//! The help screen and the status-bar hints are generated from the keymap
//! in effect, so they never disagree with what the keys do.

use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// One key press: a key and its modifiers, normalized so that `G` and
/// `shift-g` are the same press.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyPress {
    /// The key.
    pub code: KeyCode,
    /// Ctrl and Alt (Shift is folded into the character).
    pub mods: KeyModifiers,
}

impl KeyPress {
    /// A press from a terminal key event.
    pub fn from_event(ev: &KeyEvent) -> KeyPress {
        KeyPress::new(ev.code, ev.modifiers)
    }

    /// A press of `code` with `mods`; Shift on a character and on BackTab
    /// is dropped because terminals disagree on reporting it.
    pub fn new(code: KeyCode, mods: KeyModifiers) -> KeyPress {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        if matches!(code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods.remove(KeyModifiers::SHIFT);
        }
        KeyPress { code, mods }
    }

    /// Parses one press: `q`, `G`, `?`, `ctrl-c`, `alt-left`, `enter`,
    /// `esc`, `tab`, `backtab`, `backspace`, `space`, `up`, `pgdown`, `f1`.
    pub fn parse(s: &str) -> Option<KeyPress> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 1 && lower.starts_with("ctrl-") {
                mods |= KeyModifiers::CONTROL;
                rest = rest.get(5..)?;
            } else if rest.chars().count() > 1 && lower.starts_with("alt-") {
                mods |= KeyModifiers::ALT;
                rest = rest.get(4..)?;
            } else if rest.chars().count() > 1 && lower.starts_with("shift-") {
                mods |= KeyModifiers::SHIFT;
                rest = rest.get(6..)?;
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" => KeyCode::Enter,
                "esc" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "space" => KeyCode::Char(' '),
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pgup" | "pageup" => KeyCode::PageUp,
                "pgdown" | "pagedown" => KeyCode::PageDown,
                f if f.starts_with('f') => KeyCode::F(f.get(1..)?.parse().ok()?),
                _ => return None,
            },
        };
        // `shift-a` means `A`.
        let code = match code {
            KeyCode::Char(c) if mods.contains(KeyModifiers::SHIFT) => {
                KeyCode::Char(c.to_ascii_uppercase())
            }
            c => c,
        };
        Some(KeyPress::new(code, mods))
    }
}

impl fmt::Display for KeyPress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("backtab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Up => f.write_str("up"),
            KeyCode::Down => f.write_str("down"),
            KeyCode::Left => f.write_str("left"),
            KeyCode::Right => f.write_str("right"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdown"),
            KeyCode::F(n) => write!(f, "f{n}"),
            _ => f.write_str("?"),
        }
    }
}

/// A sequence of presses such as `g g`.
pub type Chord = Vec<KeyPress>;

/// Parses a space-separated chord: `g g`, `ctrl-d`.
pub fn parse_chord(s: &str) -> Option<Chord> {
    let c: Option<Chord> = s.split_whitespace().map(KeyPress::parse).collect();
    c.filter(|c| !c.is_empty())
}

/// Writes a chord the way [`parse_chord`] reads it.
pub fn chord_to_string(c: &[KeyPress]) -> String {
    c.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The keymap layers: `normal` outside text boxes, `input` inside one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Tables, panes, overlays.
    Normal,
    /// The search box, the `/` narrowing box and the export prompt.
    Input,
}

impl Mode {
    /// The name of the layer in the config file (`[keys.normal]`).
    pub fn name(self) -> &'static str {
        match self {
            Mode::Normal => "normal",
            Mode::Input => "input",
        }
    }
}

macro_rules! actions {
    ($( $variant:ident => $name:literal, $mode:ident, $desc:literal, [$($key:literal),*]; )*) => {
        /// Everything a key can do.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Action {
            $(
                #[doc = $desc]
                $variant,
            )*
        }

        impl Action {
            /// Every action, in the order the help screen lists them.
            pub const ALL: &'static [Action] = &[$(Action::$variant),*];

            /// The action's name in the config file.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name),* }
            }

            /// The layer the action belongs to.
            pub fn mode(self) -> Mode {
                match self { $(Action::$variant => Mode::$mode),* }
            }

            /// What the action does, for the help screen.
            pub fn description(self) -> &'static str {
                match self { $(Action::$variant => $desc),* }
            }

            /// The keys bound by default.
            pub fn default_keys(self) -> &'static [&'static str] {
                match self { $(Action::$variant => &[$($key),*]),* }
            }
        }
    };
}

actions! {
    Quit => "quit", Normal, "Quit", ["q", "ctrl-c"];
    Search => "search", Normal, "Go to the search box", [":"];
    Help => "help", Normal, "Show or hide this help", ["?", "f1"];
    Up => "up", Normal, "Previous row", ["up", "k"];
    Down => "down", Normal, "Next row", ["down", "j"];
    Left => "left", Normal, "Previous column", ["left", "h"];
    Right => "right", Normal, "Next column", ["right", "l"];
    Top => "top", Normal, "First row", ["g g", "home"];
    Bottom => "bottom", Normal, "Last row", ["G", "end"];
    HalfPageDown => "half_page_down", Normal, "Half a page down", ["ctrl-d"];
    HalfPageUp => "half_page_up", Normal, "Half a page up", ["ctrl-u"];
    PageDown => "page_down", Normal, "A page down", ["pgdown", "ctrl-f"];
    PageUp => "page_up", Normal, "A page up", ["pgup", "ctrl-b"];
    NextPane => "next_pane", Normal, "Next pane (table, detail)", ["tab"];
    PrevPane => "prev_pane", Normal, "Previous pane", ["backtab"];
    Pivot => "pivot", Normal, "Pivot on the selected cell", ["enter"];
    Back => "back", Normal, "Back along the breadcrumb", ["backspace", "alt-left", "["];
    Forward => "forward", Normal, "Forward along the breadcrumb", ["alt-right", "]"];
    Narrow => "narrow", Normal, "Narrow the table to rows containing text", ["/"];
    Sort => "sort", Normal, "Sort by the selected column (again: reverse)", ["s"];
    Overview => "overview", Normal, "Overview screen", ["o", "1"];
    Results => "results", Normal, "Results table", ["r", "2"];
    Timeline => "timeline", Normal, "Timeline of the results", ["t", "3"];
    Export => "export", Normal, "Export the current view to a file", ["e"];
    CopyCell => "copy_cell", Normal, "Copy the selected cell (OSC 52)", ["y"];
    CopyRow => "copy_row", Normal, "Copy the selected row as COF JSON (OSC 52)", ["Y"];
    Clear => "clear", Normal, "Close help, clear the narrowing, clear a message", ["esc"];
    Submit => "submit", Input, "Run the query / apply", ["enter"];
    Leave => "leave", Input, "Leave the text box", ["esc", "tab"];
    ClearLine => "clear_line", Input, "Erase the text", ["ctrl-u"];
    DeleteWord => "delete_word", Input, "Erase the word before the cursor", ["ctrl-w"];
    InputQuit => "quit", Input, "Quit", ["ctrl-c"];
}

/// One binding: a chord and what it does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    /// The keys, in order.
    pub chord: Chord,
    /// The action.
    pub action: Action,
}

/// A problem with the keys in a config file.
#[derive(Debug, PartialEq, Eq)]
pub enum KeymapError {
    /// No action of that name in that layer.
    UnknownAction {
        /// The layer.
        mode: &'static str,
        /// The name given.
        name: String,
    },
    /// A key that cannot be read.
    BadKey {
        /// `keys.MODE.ACTION`.
        at: String,
        /// The text given.
        key: String,
    },
    /// Two actions on one chord (or one chord a prefix of another).
    Duplicate {
        /// `keys.MODE.ACTION`.
        at: String,
        /// The chord.
        key: String,
        /// The other action.
        other: &'static str,
    },
}

impl fmt::Display for KeymapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeymapError::UnknownAction { mode, name } => write!(
                f,
                "keys.{mode}.{name}: no such action (see `?` in pdns for the list)"
            ),
            KeymapError::BadKey { at, key } => write!(
                f,
                "{at}: {key:?} is not a key (write e.g. \"q\", \"ctrl-c\", \"alt-left\", \"enter\", \"g g\")"
            ),
            KeymapError::Duplicate { at, key, other } => {
                write!(f, "{at}: {key:?} is already bound to {other:?}")
            }
        }
    }
}

/// The bindings in effect, and the presses of a chord typed so far.
#[derive(Clone, Debug)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

/// What a press means, given the presses before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// A complete binding.
    Action(Action),
    /// The start of a chord: wait for the next press.
    Pending,
    /// Not bound.
    Unbound,
}

impl Keymap {
    /// The default bindings.
    pub fn defaults() -> Keymap {
        // The defaults are tested to parse and not to collide.
        Keymap::with_overrides(&[]).unwrap_or(Keymap {
            bindings: Vec::new(),
        })
    }

    /// The defaults with some actions rebound: each `(mode, action name,
    /// keys)` replaces the default keys of that action (an empty list
    /// unbinds it).
    ///
    /// # Errors
    ///
    /// An unknown action, an unreadable key, or a chord bound twice in a
    /// layer (or a prefix of another chord, which could never complete).
    pub fn with_overrides(
        overrides: &[(Mode, String, Vec<String>)],
    ) -> Result<Keymap, KeymapError> {
        let mut chosen: Vec<(Action, Vec<String>)> = Action::ALL
            .iter()
            .map(|a| {
                (
                    *a,
                    a.default_keys().iter().map(|k| (*k).to_string()).collect(),
                )
            })
            .collect();
        for (mode, name, keys) in overrides {
            let slot = chosen
                .iter_mut()
                .find(|(a, _)| a.mode() == *mode && a.name() == name)
                .ok_or_else(|| KeymapError::UnknownAction {
                    mode: mode.name(),
                    name: name.clone(),
                })?;
            slot.1.clone_from(keys);
        }
        let mut bindings: Vec<Binding> = Vec::new();
        for (action, keys) in chosen {
            let at = format!("keys.{}.{}", action.mode().name(), action.name());
            for key in keys {
                let chord = parse_chord(&key).ok_or_else(|| KeymapError::BadKey {
                    at: at.clone(),
                    key: key.clone(),
                })?;
                if let Some(other) = bindings.iter().find(|b| {
                    b.action.mode() == action.mode()
                        && (b.chord.starts_with(&chord) || chord.starts_with(&b.chord))
                }) {
                    return Err(KeymapError::Duplicate {
                        at,
                        key,
                        other: other.action.name(),
                    });
                }
                bindings.push(Binding { chord, action });
            }
        }
        Ok(Keymap { bindings })
    }

    /// Looks a chord up in a layer.
    pub fn lookup(&self, mode: Mode, chord: &[KeyPress]) -> Lookup {
        let mut pending = false;
        for b in self.bindings.iter().filter(|b| b.action.mode() == mode) {
            if b.chord == chord {
                return Lookup::Action(b.action);
            }
            if b.chord.starts_with(chord) {
                pending = true;
            }
        }
        if pending {
            Lookup::Pending
        } else {
            Lookup::Unbound
        }
    }

    /// The chords bound to an action, as text (`"g g, home"`).
    pub fn keys_for(&self, action: Action) -> String {
        self.bindings
            .iter()
            .filter(|b| b.action == action)
            .map(|b| chord_to_string(&b.chord))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The first chord bound to an action, for short hints.
    pub fn first_key(&self, action: Action) -> Option<String> {
        self.bindings
            .iter()
            .find(|b| b.action == action)
            .map(|b| chord_to_string(&b.chord))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_parse_without_collisions() {
        let km = Keymap::with_overrides(&[]).unwrap();
        assert_eq!(
            km.lookup(Mode::Normal, &[KeyPress::parse("q").unwrap()]),
            Lookup::Action(Action::Quit)
        );
        let g = KeyPress::parse("g").unwrap();
        assert_eq!(km.lookup(Mode::Normal, &[g]), Lookup::Pending);
        assert_eq!(
            km.lookup(Mode::Normal, &[g, g]),
            Lookup::Action(Action::Top)
        );
        assert_eq!(km.keys_for(Action::Back), "backspace, alt-left, [");
    }

    #[test]
    fn keys_round_trip() {
        for s in [
            "ctrl-c", "alt-left", "G", "?", "enter", "f1", "space", "backtab",
        ] {
            assert_eq!(KeyPress::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(KeyPress::parse("shift-g"), KeyPress::parse("G"));
        assert_eq!(KeyPress::parse("entr"), None);
        assert_eq!(
            KeyPress::new(KeyCode::Char('G'), KeyModifiers::SHIFT),
            KeyPress::parse("G").unwrap()
        );
    }

    #[test]
    fn overrides_are_checked() {
        let e = Keymap::with_overrides(&[(Mode::Normal, "pivot".into(), vec!["q".into()])]);
        assert!(matches!(e, Err(KeymapError::Duplicate { .. })));
        let e = Keymap::with_overrides(&[(Mode::Normal, "pivto".into(), vec![])]);
        assert!(matches!(e, Err(KeymapError::UnknownAction { .. })));
        let e = Keymap::with_overrides(&[(Mode::Normal, "pivot".into(), vec!["entr".into()])]);
        assert!(matches!(e, Err(KeymapError::BadKey { .. })));
        let km =
            Keymap::with_overrides(&[(Mode::Normal, "quit".into(), vec!["x".into()])]).unwrap();
        assert_eq!(
            km.lookup(Mode::Normal, &[KeyPress::parse("q").unwrap()]),
            Lookup::Unbound
        );
    }
}
