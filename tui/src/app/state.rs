//! The client's state and its one mutator, [`App::update`]: messages in
//! (keys, mouse, worker replies), effects out (run a query, copy, export,
//! quit). Nothing here touches a terminal, a thread or a file, so every
//! key sequence can be tested directly.

use std::cell::Cell;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pdnsfile::record::rdata_names;
use pdnsfile::{cof, rrtype, Entry};
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Rect;

use super::config::Config;
use super::keymap::{Action, KeyPress, Keymap, Lookup, Mode};
use super::overview::Overview;
use super::search;
use super::theme::Theme;
use super::worker::{Reply, Request};

/// The main screens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    /// Archives, counts, activity.
    Overview,
    /// The results table and the detail pane.
    Results,
    /// A bar per row on a time axis, and the detail pane.
    Timeline,
}

/// Where keys go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    /// The search box (a text box).
    Search,
    /// The table (or the timeline's rows).
    Table,
    /// The detail pane.
    Detail,
    /// The `/` narrowing box (a text box).
    Narrow,
    /// The export path prompt (a text box).
    Export,
}

impl Focus {
    /// Whether keys are typed into a text box.
    pub fn is_input(self) -> bool {
        matches!(self, Focus::Search | Focus::Narrow | Focus::Export)
    }
}

/// The table's columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    /// Owner name.
    Name,
    /// Record type.
    Type,
    /// Record data.
    Rdata,
    /// First seen.
    First,
    /// Last seen.
    Last,
    /// Times seen.
    Count,
    /// Sources.
    Sources,
}

impl Column {
    /// Every column, left to right.
    pub const ALL: [Column; 7] = [
        Column::Name,
        Column::Type,
        Column::Rdata,
        Column::First,
        Column::Last,
        Column::Count,
        Column::Sources,
    ];

    /// The header text.
    pub fn title(self) -> &'static str {
        match self {
            Column::Name => "name",
            Column::Type => "type",
            Column::Rdata => "rdata",
            Column::First => "first",
            Column::Last => "last",
            Column::Count => "count",
            Column::Sources => "sources",
        }
    }

    fn index(self) -> usize {
        Column::ALL.iter().position(|c| *c == self).unwrap_or(0)
    }

    fn step(self, by: isize) -> Column {
        let i = self
            .index()
            .saturating_add_signed(by)
            .min(Column::ALL.len() - 1);
        Column::ALL.get(i).copied().unwrap_or(self)
    }

    /// A byte key whose order is the column's order, computed once per
    /// row before sorting: comparing names label by label, or addresses
    /// by parsing them, inside the sort made 100 k rows take 280 ms.
    fn sort_key(self, e: &Entry) -> Vec<u8> {
        match self {
            Column::Name => pdnsfile::name::reversed_key(&e.rrname),
            Column::Type => rrtype::to_string(e.rrtype).into_bytes(),
            // Addresses in numeric order (IPv4 before IPv6), then the
            // rest as text.
            Column::Rdata => match e.rdata.parse::<std::net::IpAddr>() {
                Ok(std::net::IpAddr::V4(a)) => [&[0u8][..], &a.octets()].concat(),
                Ok(std::net::IpAddr::V6(a)) => [&[1u8][..], &a.octets()].concat(),
                Err(_) => [&[2u8][..], e.rdata.as_bytes()].concat(),
            },
            Column::Sources => e.sources.join(",").into_bytes(),
            Column::First => e.time_first.to_be_bytes().to_vec(),
            Column::Last => e.time_last.to_be_bytes().to_vec(),
            Column::Count => e.count.unwrap_or(0).to_be_bytes().to_vec(),
        }
    }
}

/// Sorts view indices by a key computed once per row; ties keep key
/// order (the index breaks them), ascending or descending.
fn sort_view<K: Ord>(
    view: Vec<usize>,
    desc: bool,
    key: impl Fn(&Entry) -> K,
    rows: &[Entry],
) -> Vec<usize> {
    let mut keyed: Vec<(Option<K>, usize)> = view
        .into_iter()
        .map(|i| (rows.get(i).map(&key), i))
        .collect();
    keyed.sort_unstable_by(|a, b| {
        let o = a.0.cmp(&b.0);
        if desc { o.reverse() } else { o }.then(a.1.cmp(&b.1))
    });
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// A one-line text box with a cursor (in characters).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextBox {
    /// The text.
    pub text: String,
    /// The cursor, in characters from the start.
    pub cursor: usize,
}

impl TextBox {
    fn byte_at(&self, char_idx: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_idx)
            .map_or(self.text.len(), |(i, _)| i)
    }

    /// Replaces the text and puts the cursor at its end.
    pub fn set(&mut self, s: &str) {
        self.text = s.to_string();
        self.cursor = self.text.chars().count();
    }

    fn insert(&mut self, c: char) {
        let at = self.byte_at(self.cursor);
        self.text.insert(at, c);
        self.cursor += 1;
    }

    fn backspace(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
            let at = self.byte_at(self.cursor);
            self.text.remove(at);
        }
    }

    fn delete(&mut self) {
        if self.cursor < self.text.chars().count() {
            let at = self.byte_at(self.cursor);
            self.text.remove(at);
        }
    }

    fn delete_word(&mut self) {
        let chars: Vec<char> = self.text.chars().collect();
        let mut start = self.cursor.min(chars.len());
        while start > 0 && chars.get(start - 1).is_some_and(|c| c.is_whitespace()) {
            start -= 1;
        }
        while start > 0 && chars.get(start - 1).is_some_and(|c| !c.is_whitespace()) {
            start -= 1;
        }
        let (a, b) = (self.byte_at(start), self.byte_at(self.cursor));
        self.text.replace_range(a..b, "");
        self.cursor = start;
    }
}

/// The rows of one query.
#[derive(Clone, Debug)]
pub struct Results {
    /// The search text that produced them.
    pub text: String,
    /// The first rows, in key order (shared with a sort running on
    /// another thread).
    pub rows: Arc<Vec<Entry>>,
    /// Every match, kept or not.
    pub total: u64,
    /// Time taken.
    pub elapsed: Duration,
}

/// Where the user was in a result set, to come back to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Place {
    /// Selected row (in the sorted, narrowed view).
    pub selected: usize,
    /// Selected column.
    pub column: Option<Column>,
    /// Sort column and whether descending.
    pub sort: Option<(Column, bool)>,
}

/// One step of the breadcrumb.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The search text.
    pub text: String,
    /// Where the user left it.
    pub place: Place,
}

/// A query on its way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loading {
    /// Its generation.
    pub gen: u64,
    /// Its search text.
    pub text: String,
    /// Where to put the selection when it arrives (back and forward).
    pub restore: Option<Place>,
}

/// Kinds of status message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusKind {
    /// Neutral.
    Info,
    /// Something worked.
    Ok,
    /// Something failed.
    Error,
}

/// Inputs to [`App::update`].
#[derive(Clone, Debug)]
pub enum Msg {
    /// A key.
    Key(KeyEvent),
    /// A mouse event (only when the mouse is enabled).
    Mouse(MouseEvent),
    /// Time passes (the spinner turns).
    Tick,
    /// A query finished.
    Reply(Reply),
    /// An export finished: the path and row count, or the error.
    Exported(Result<(PathBuf, usize), String>),
    /// A message for the status line.
    Notice(StatusKind, String),
    /// A sort finished on another thread.
    Sorted {
        /// The sort's generation.
        gen: u64,
        /// Row indices in the new order.
        order: Vec<usize>,
    },
}

/// What the runner must do after an update.
#[derive(Clone, Debug)]
pub enum Effect {
    /// Run a query (cancelling the one running).
    Run(Request),
    /// Put text on the clipboard.
    Copy(String),
    /// Write the current view to a file.
    Export(PathBuf),
    /// Sort rows off the drawing thread, then send [`Msg::Sorted`].
    Sort(SortJob),
    /// Leave.
    Quit,
}

/// A sort to run on another thread.
#[derive(Clone, Debug)]
pub struct SortJob {
    /// Its generation; older results are dropped.
    pub gen: u64,
    /// The rows.
    pub rows: Arc<Vec<Entry>>,
    /// Column and direction.
    pub sort: Option<(Column, bool)>,
}

impl SortJob {
    /// Runs the sort: the message to send back.
    pub fn run(&self) -> Msg {
        Msg::Sorted {
            gen: self.gen,
            order: compute_order(&self.rows, self.sort),
        }
    }
}

/// Up to this many rows sort on the drawing thread (under 16 ms at about
/// 340 ns a row); more go to a thread while the spinner turns.
pub const INLINE_SORT_ROWS: usize = 20_000;

/// Row indices of `rows` in the order of `sort` (key order for `None`).
/// Ties keep key order.
pub fn compute_order(rows: &[Entry], sort: Option<(Column, bool)>) -> Vec<usize> {
    let all: Vec<usize> = (0..rows.len()).collect();
    match sort {
        None => all,
        Some((Column::First, desc)) => sort_view(all, desc, |e| e.time_first, rows),
        Some((Column::Last, desc)) => sort_view(all, desc, |e| e.time_last, rows),
        Some((Column::Count, desc)) => sort_view(all, desc, |e| e.count, rows),
        Some((col, desc)) => sort_view(all, desc, |e| col.sort_key(e), rows),
    }
}

/// What to select once a sort arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AfterSort {
    /// Keep the same row selected (a new sort of the same rows).
    Keep(Option<usize>),
    /// Select this position (new rows, or back and forward).
    Select(usize),
}

/// The whole state of the client.
pub struct App {
    /// What the archives hold.
    pub overview: Overview,
    /// Keys in effect.
    pub keymap: Keymap,
    /// Colours in effect.
    pub theme: Theme,
    /// Rows kept per query.
    pub max_rows: usize,
    /// The screen shown.
    pub screen: Screen,
    /// Where keys go.
    pub focus: Focus,
    /// The help overlay and its scroll offset.
    pub help: Option<u16>,
    /// The search box.
    pub search: TextBox,
    /// The narrowing box.
    pub narrow: TextBox,
    /// The export prompt.
    pub export: TextBox,
    /// The last results.
    pub results: Option<Results>,
    /// Indices into `results.rows` after narrowing and sorting.
    pub view: Vec<usize>,
    /// Indices into `results.rows` in sort order, before narrowing.
    order: Vec<usize>,
    /// The narrowing text the view was filtered with from `order`, so
    /// that a longer text can filter the view instead.
    narrowed: Option<String>,
    /// The sort running on another thread, and what to select after it.
    pub sorting: Option<u64>,
    after_sort: AfterSort,
    sort_gen: u64,
    /// Sort column and whether descending; `None` is key order.
    pub sort: Option<(Column, bool)>,
    /// Selected row in `view`.
    pub selected: usize,
    /// Selected column.
    pub column: Column,
    /// First row drawn; kept by the view so the selection stays visible.
    pub offset: Cell<usize>,
    /// Rows the table showed last time (for page moves).
    pub page: Cell<usize>,
    /// Where the table's rows were drawn (for mouse clicks).
    pub table_area: Cell<Rect>,
    /// Where the search box was drawn (for mouse clicks).
    pub search_area: Cell<Rect>,
    /// Scroll offset of the detail pane.
    pub detail_scroll: u16,
    /// The breadcrumb.
    pub trail: Vec<Step>,
    /// The current step in `trail`.
    pub pos: usize,
    /// The query running, if any.
    pub loading: Option<Loading>,
    /// Matches found so far by the running query.
    pub progress: u64,
    /// The status line's message.
    pub status: Option<(StatusKind, String)>,
    /// Spinner frame.
    pub tick: u64,
    /// Whether the user asked to leave.
    pub quit: bool,
    gen: u64,
    pending: Vec<KeyPress>,
}

/// Directions and distances for the selection.
#[derive(Clone, Copy)]
enum Move {
    By(isize),
    Pages(isize),
    Top,
    Bottom,
}

impl App {
    /// A client on an overview, with the search box focused.
    pub fn new(overview: Overview, config: &Config) -> App {
        App {
            overview,
            keymap: config.keymap.clone(),
            theme: config.theme.clone(),
            max_rows: config.max_rows,
            screen: Screen::Overview,
            focus: Focus::Search,
            help: None,
            search: TextBox::default(),
            narrow: TextBox::default(),
            export: TextBox::default(),
            results: None,
            view: Vec::new(),
            order: Vec::new(),
            narrowed: None,
            sorting: None,
            after_sort: AfterSort::Select(0),
            sort_gen: 0,
            sort: None,
            selected: 0,
            column: Column::Name,
            offset: Cell::new(0),
            page: Cell::new(10),
            table_area: Cell::new(Rect::default()),
            search_area: Cell::new(Rect::default()),
            detail_scroll: 0,
            trail: Vec::new(),
            pos: 0,
            loading: None,
            progress: 0,
            status: None,
            tick: 0,
            quit: false,
            gen: 0,
            pending: Vec::new(),
        }
    }

    /// The row under the selection.
    pub fn selected_entry(&self) -> Option<&Entry> {
        let r = self.results.as_ref()?;
        r.rows.get(*self.view.get(self.selected)?)
    }

    /// The rows of the current view, in view order.
    pub fn view_rows(&self) -> impl Iterator<Item = &Entry> + '_ {
        let rows = self.results.as_ref().map_or(&[][..], |r| &r.rows[..]);
        self.view.iter().filter_map(move |i| rows.get(*i))
    }

    /// The one mutator: applies a message, returns what the runner must do.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(k) => self.on_key(&k),
            Msg::Mouse(m) => {
                self.on_mouse(&m);
                Vec::new()
            }
            Msg::Tick => {
                self.tick = self.tick.wrapping_add(1);
                Vec::new()
            }
            Msg::Reply(r) => self.on_reply(r),
            Msg::Sorted { gen, order } => {
                if self.sorting == Some(gen) {
                    self.sorting = None;
                    self.set_order(order);
                    self.rebuild_view();
                    match self.after_sort {
                        AfterSort::Keep(row) => self.reselect(row),
                        AfterSort::Select(i) => {
                            self.selected = i.min(self.view.len().saturating_sub(1));
                        }
                    }
                }
                Vec::new()
            }
            Msg::Notice(kind, text) => {
                self.status = Some((kind, text));
                Vec::new()
            }
            Msg::Exported(r) => {
                self.status = Some(match r {
                    Ok((p, n)) => (
                        StatusKind::Ok,
                        format!("exported {n} rows to {}", p.display()),
                    ),
                    Err(e) => (StatusKind::Error, format!("export failed: {e}")),
                });
                Vec::new()
            }
        }
    }

    fn on_key(&mut self, k: &KeyEvent) -> Vec<Effect> {
        if k.kind == KeyEventKind::Release {
            return Vec::new();
        }
        let press = KeyPress::from_event(k);
        // Ctrl-C always quits, whatever the keymap and focus.
        if press.code == KeyCode::Char('c') && press.mods.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return vec![Effect::Quit];
        }
        if self.focus.is_input() {
            return self.on_input_key(press);
        }
        self.pending.push(press);
        match self.keymap.lookup(Mode::Normal, &self.pending) {
            Lookup::Action(a) => {
                self.pending.clear();
                self.act(a)
            }
            Lookup::Pending => Vec::new(),
            Lookup::Unbound => {
                // A chord that went nowhere: the last press may start anew.
                let again = self.pending.len() > 1;
                self.pending.clear();
                if again {
                    self.pending.push(press);
                    match self.keymap.lookup(Mode::Normal, &self.pending) {
                        Lookup::Action(a) => {
                            self.pending.clear();
                            return self.act(a);
                        }
                        Lookup::Pending => return Vec::new(),
                        Lookup::Unbound => self.pending.clear(),
                    }
                }
                Vec::new()
            }
        }
    }

    fn text_box(&mut self) -> &mut TextBox {
        match self.focus {
            Focus::Narrow => &mut self.narrow,
            Focus::Export => &mut self.export,
            _ => &mut self.search,
        }
    }

    fn on_input_key(&mut self, press: KeyPress) -> Vec<Effect> {
        if let Lookup::Action(a) = self.keymap.lookup(Mode::Input, &[press]) {
            return self.act_input(a);
        }
        let plain = !press
            .mods
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        let tb = self.text_box();
        match press.code {
            KeyCode::Char(c) if plain => tb.insert(c),
            KeyCode::Backspace => tb.backspace(),
            KeyCode::Delete => tb.delete(),
            KeyCode::Left => tb.cursor = tb.cursor.saturating_sub(1),
            KeyCode::Right => tb.cursor = (tb.cursor + 1).min(tb.text.chars().count()),
            KeyCode::Home => tb.cursor = 0,
            KeyCode::End => tb.cursor = tb.text.chars().count(),
            _ => return Vec::new(),
        }
        if self.focus == Focus::Narrow {
            self.rebuild_view();
        }
        Vec::new()
    }

    fn act_input(&mut self, a: Action) -> Vec<Effect> {
        match a {
            Action::Submit => match self.focus {
                Focus::Search => {
                    let text = self.search.text.clone();
                    self.run_search(&text, true, None)
                }
                Focus::Narrow => {
                    self.focus = Focus::Table;
                    Vec::new()
                }
                Focus::Export => {
                    self.focus = Focus::Table;
                    let p = self.export.text.trim().to_string();
                    if p.is_empty() {
                        self.status = Some((StatusKind::Error, "no file name given".into()));
                        Vec::new()
                    } else {
                        vec![Effect::Export(PathBuf::from(p))]
                    }
                }
                _ => Vec::new(),
            },
            Action::Leave => {
                if self.focus == Focus::Narrow && self.narrow.text.is_empty() {
                    self.rebuild_view();
                }
                if self.focus == Focus::Export {
                    self.status = Some((StatusKind::Info, "export cancelled".into()));
                }
                self.focus = Focus::Table;
                Vec::new()
            }
            Action::ClearLine => {
                self.text_box().set("");
                if self.focus == Focus::Narrow {
                    self.rebuild_view();
                }
                Vec::new()
            }
            Action::DeleteWord => {
                self.text_box().delete_word();
                if self.focus == Focus::Narrow {
                    self.rebuild_view();
                }
                Vec::new()
            }
            Action::InputQuit => {
                self.quit = true;
                vec![Effect::Quit]
            }
            _ => Vec::new(),
        }
    }

    fn act(&mut self, a: Action) -> Vec<Effect> {
        if let Some(scroll) = self.help {
            // The help overlay takes the keys until it is closed.
            match a {
                Action::Up => self.help = Some(scroll.saturating_sub(1)),
                Action::Down => self.help = Some(scroll.saturating_add(1)),
                Action::HalfPageUp | Action::PageUp => self.help = Some(scroll.saturating_sub(10)),
                Action::HalfPageDown | Action::PageDown => {
                    self.help = Some(scroll.saturating_add(10));
                }
                Action::Top => self.help = Some(0),
                Action::Help | Action::Clear | Action::Quit => self.help = None,
                _ => {}
            }
            return Vec::new();
        }
        match a {
            Action::Quit => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            Action::Search => {
                self.focus = Focus::Search;
                self.search.cursor = self.search.text.chars().count();
            }
            Action::Help => self.help = Some(0),
            Action::Up => self.move_sel(Move::By(-1)),
            Action::Down => self.move_sel(Move::By(1)),
            Action::Top => self.move_sel(Move::Top),
            Action::Bottom => self.move_sel(Move::Bottom),
            Action::HalfPageDown => self.move_sel(Move::Pages(1)),
            Action::HalfPageUp => self.move_sel(Move::Pages(-1)),
            Action::PageDown => self.move_sel(Move::Pages(2)),
            Action::PageUp => self.move_sel(Move::Pages(-2)),
            Action::Left => self.column = self.column.step(-1),
            Action::Right => self.column = self.column.step(1),
            Action::NextPane | Action::PrevPane => {
                let order = [Focus::Search, Focus::Table, Focus::Detail];
                let i = order.iter().position(|f| *f == self.focus).unwrap_or(1);
                let step = if a == Action::NextPane {
                    1
                } else {
                    order.len() - 1
                };
                self.focus = order
                    .get((i + step) % order.len())
                    .copied()
                    .unwrap_or(Focus::Table);
            }
            Action::Pivot => return self.pivot(),
            Action::Back => return self.walk(-1),
            Action::Forward => return self.walk(1),
            Action::Narrow => {
                if self.results.is_some() {
                    if self.screen == Screen::Overview {
                        self.screen = Screen::Results;
                    }
                    self.focus = Focus::Narrow;
                } else {
                    self.say(StatusKind::Info, "nothing to narrow yet: run a query first");
                }
            }
            Action::Sort => {
                self.sort = match self.sort {
                    Some((c, false)) if c == self.column => Some((c, true)),
                    _ => Some((self.column, false)),
                };
                let keep = self.selected_row_index();
                return self.request_order(AfterSort::Keep(keep));
            }
            Action::Overview => self.screen = Screen::Overview,
            Action::Results => self.screen = Screen::Results,
            Action::Timeline => self.screen = Screen::Timeline,
            Action::Export => {
                if self.view.is_empty() {
                    self.say(StatusKind::Error, "nothing to export: the view is empty");
                } else {
                    let text = self.results.as_ref().map_or("", |r| r.text.as_str());
                    self.export.set(&default_export_name(text));
                    self.focus = Focus::Export;
                }
            }
            Action::CopyCell | Action::CopyRow => {
                let Some(e) = self.selected_entry() else {
                    self.say(StatusKind::Error, "nothing selected to copy");
                    return Vec::new();
                };
                let text = if a == Action::CopyRow {
                    cof::to_line(e)
                } else {
                    cell_text(e, self.column)
                };
                self.status = Some((
                    StatusKind::Ok,
                    format!("copied {} bytes to the clipboard (OSC 52)", text.len()),
                ));
                return vec![Effect::Copy(text)];
            }
            Action::Clear => {
                if !self.narrow.text.is_empty() {
                    self.narrow.set("");
                    self.rebuild_view();
                } else {
                    self.status = None;
                }
            }
            // Input-layer actions do not reach here.
            Action::Submit
            | Action::Leave
            | Action::ClearLine
            | Action::DeleteWord
            | Action::InputQuit => {}
        }
        Vec::new()
    }

    fn say(&mut self, kind: StatusKind, text: &str) {
        self.status = Some((kind, text.to_string()));
    }

    fn move_sel(&mut self, m: Move) {
        if self.focus == Focus::Detail {
            self.detail_scroll = match m {
                Move::By(d) | Move::Pages(d) => self.detail_scroll.saturating_add_signed(d as i16),
                Move::Top => 0,
                Move::Bottom => 100,
            };
            return;
        }
        if self.focus.is_input() {
            self.focus = Focus::Table;
        }
        let last = self.view.len().saturating_sub(1);
        let half = (self.page.get() / 2).max(1) as isize;
        self.selected = match m {
            Move::By(d) => self.selected.saturating_add_signed(d).min(last),
            Move::Pages(p) => self.selected.saturating_add_signed(p * half).min(last),
            Move::Top => 0,
            Move::Bottom => last,
        };
        self.detail_scroll = 0;
    }

    fn selected_row_index(&self) -> Option<usize> {
        self.view.get(self.selected).copied()
    }

    fn reselect(&mut self, row: Option<usize>) {
        if let Some(r) = row {
            if let Some(i) = self.view.iter().position(|v| *v == r) {
                self.selected = i;
            }
        }
    }

    /// Recomputes the sort order of all rows (when the rows or the sort
    /// change) and the view: here for few rows or key order, on another
    /// thread (an effect) for many.
    fn request_order(&mut self, after: AfterSort) -> Vec<Effect> {
        self.sort_gen += 1;
        self.sorting = None;
        let Some(rows) = self.results.as_ref().map(|r| Arc::clone(&r.rows)) else {
            self.set_order(Vec::new());
            self.rebuild_view();
            return Vec::new();
        };
        if self.sort.is_some() && rows.len() > INLINE_SORT_ROWS {
            self.sorting = Some(self.sort_gen);
            self.after_sort = after;
            if self.order.len() != rows.len() {
                // New rows: show them in key order meanwhile.
                self.set_order((0..rows.len()).collect());
                self.rebuild_view();
            }
            return vec![Effect::Sort(SortJob {
                gen: self.sort_gen,
                rows,
                sort: self.sort,
            })];
        }
        self.set_order(compute_order(&rows, self.sort));
        self.rebuild_view();
        match after {
            AfterSort::Keep(row) => self.reselect(row),
            AfterSort::Select(i) => self.selected = i.min(self.view.len().saturating_sub(1)),
        }
        Vec::new()
    }

    fn set_order(&mut self, order: Vec<usize>) {
        self.order = order;
        self.narrowed = None;
    }

    /// Recomputes the view: the sorted rows containing the narrowing text
    /// (any column, ASCII case ignored). Narrowing never re-sorts, and
    /// typing one more character filters the current view rather than
    /// every row.
    fn rebuild_view(&mut self) {
        let rows = self.results.as_ref().map_or(&[][..], |r| &r.rows[..]);
        let needle = self.narrow.text.to_ascii_lowercase();
        self.view = if needle.is_empty() {
            self.order.clone()
        } else {
            let finder = memchr::memmem::Finder::new(needle.as_bytes());
            let extends = self
                .narrowed
                .as_deref()
                .is_some_and(|prev| !prev.is_empty() && needle.starts_with(prev));
            let base = if extends { &self.view } else { &self.order };
            base.iter()
                .copied()
                .filter(|i| rows.get(*i).is_some_and(|e| row_contains(e, &finder)))
                .collect()
        };
        self.narrowed = Some(needle);
        self.selected = self.selected.min(self.view.len().saturating_sub(1));
    }

    fn place(&self) -> Place {
        Place {
            selected: self.selected,
            column: Some(self.column),
            sort: self.sort,
        }
    }

    /// Parses and runs a search. `push` adds a breadcrumb step (a new
    /// search or a pivot); `restore` puts the selection back (back and
    /// forward).
    fn run_search(&mut self, text: &str, push: bool, restore: Option<Place>) -> Vec<Effect> {
        let text = text.trim().to_string();
        let s = match search::parse(&text) {
            Ok(s) => s,
            Err(e) => {
                self.status = Some((StatusKind::Error, e));
                self.focus = Focus::Search;
                return Vec::new();
            }
        };
        if push {
            let place = self.place();
            if let Some(step) = self.trail.get_mut(self.pos) {
                step.place = place;
            }
            let same = self.trail.get(self.pos).is_some_and(|s| s.text == text);
            if !same {
                if !self.trail.is_empty() {
                    self.trail.truncate(self.pos + 1);
                }
                self.trail.push(Step {
                    text: text.clone(),
                    place: Place::default(),
                });
                self.pos = self.trail.len() - 1;
            }
        }
        self.gen += 1;
        self.loading = Some(Loading {
            gen: self.gen,
            text: text.clone(),
            restore,
        });
        self.progress = 0;
        self.search.set(&text);
        if self.screen == Screen::Overview {
            self.screen = Screen::Results;
        }
        self.focus = Focus::Table;
        self.status = None;
        vec![Effect::Run(Request {
            gen: self.gen,
            query: s.query,
            filter: s.filter,
            cap: self.max_rows,
        })]
    }

    fn on_reply(&mut self, r: Reply) -> Vec<Effect> {
        let gen = match &r {
            Reply::Done { gen, .. } | Reply::Failed { gen, .. } => *gen,
        };
        let Some(loading) = self.loading.take_if(|l| l.gen == gen) else {
            return Vec::new(); // a superseded query
        };
        match r {
            Reply::Done {
                rows,
                total,
                elapsed,
                ..
            } => {
                self.results = Some(Results {
                    text: loading.text,
                    rows: Arc::new(rows),
                    total,
                    elapsed,
                });
                // Forces the key-order view while a sort runs.
                self.set_order(Vec::new());
                self.narrow.set("");
                let place = loading.restore.unwrap_or_default();
                self.sort = place.sort;
                // A new query starts on the name column: predictable, whatever the
                // last pivot was.
                self.column = place.column.unwrap_or(Column::Name);
                self.selected = 0;
                self.offset.set(0);
                self.detail_scroll = 0;
                if total == 0 {
                    self.say(StatusKind::Info, "no match");
                }
                self.request_order(AfterSort::Select(place.selected))
            }
            Reply::Failed { error, .. } => {
                self.status = Some((StatusKind::Error, format!("query failed: {error}")));
                Vec::new()
            }
        }
    }

    /// What Enter on the selected cell searches for.
    ///
    /// # Errors
    ///
    /// A message when the cell has nothing to pivot on.
    pub fn pivot_target(&self) -> Result<String, String> {
        let e = self.selected_entry().ok_or("nothing selected")?;
        let current = self.results.as_ref().map_or("", |r| r.text.as_str());
        match self.column {
            Column::Name => Ok(e.rrname.clone()),
            Column::Type => Ok(search::with_filter(
                current,
                "type",
                &rrtype::to_string(e.rrtype),
            )),
            Column::Sources => e
                .sources
                .first()
                .map(|s| search::with_filter(current, "source", s))
                .ok_or_else(|| "no source to pivot on".to_string()),
            Column::Rdata => rdata_pivot(e),
            Column::First | Column::Last | Column::Count => {
                Err("pivot from the name, type, rdata or sources column (h/l)".into())
            }
        }
    }

    fn pivot(&mut self) -> Vec<Effect> {
        if self.screen == Screen::Overview || self.results.is_none() {
            self.focus = Focus::Search;
            return Vec::new();
        }
        match self.pivot_target() {
            Ok(text) => self.run_search(&text, true, None),
            Err(e) => {
                self.status = Some((StatusKind::Error, e));
                Vec::new()
            }
        }
    }

    fn walk(&mut self, dir: isize) -> Vec<Effect> {
        let Some(to) = self
            .pos
            .checked_add_signed(dir)
            .filter(|p| *p < self.trail.len())
        else {
            self.say(
                StatusKind::Info,
                if dir < 0 {
                    "at the start of the breadcrumb"
                } else {
                    "at the end of the breadcrumb"
                },
            );
            return Vec::new();
        };
        let place = self.place();
        if let Some(step) = self.trail.get_mut(self.pos) {
            step.place = place;
        }
        self.pos = to;
        let Some(step) = self.trail.get(to).cloned() else {
            return Vec::new();
        };
        self.run_search(&step.text, false, Some(step.place))
    }

    fn on_mouse(&mut self, m: &MouseEvent) {
        let inside = |r: Rect| {
            m.column >= r.x && m.column < r.x + r.width && m.row >= r.y && m.row < r.y + r.height
        };
        match m.kind {
            MouseEventKind::ScrollDown => {
                self.focus = Focus::Table;
                self.move_sel(Move::By(3));
            }
            MouseEventKind::ScrollUp => {
                self.focus = Focus::Table;
                self.move_sel(Move::By(-3));
            }
            MouseEventKind::Down(MouseButton::Left) => {
                let t = self.table_area.get();
                if inside(t) {
                    let i = self.offset.get() + usize::from(m.row - t.y);
                    if i < self.view.len() {
                        self.selected = i;
                        self.focus = Focus::Table;
                    }
                } else if inside(self.search_area.get()) {
                    self.focus = Focus::Search;
                }
            }
            _ => {}
        }
    }
}

/// Whether any column of a row contains `needle` (lower case), ASCII
/// case ignored. Names are stored in lower case, so one substring searcher
/// built per narrowing (SIMD, no set-up per row) serves most fields; the
/// slower case-folding scan runs only on fields that hold upper case.
fn row_contains(e: &Entry, needle: &memchr::memmem::Finder<'_>) -> bool {
    let n = needle.needle();
    let has = |s: &str| {
        needle.find(s.as_bytes()).is_some()
            || (s.bytes().any(|b| b.is_ascii_uppercase())
                && s.as_bytes()
                    .windows(n.len())
                    .any(|w| w.eq_ignore_ascii_case(n)))
    };
    has(&e.rrname)
        || has(&e.rdata)
        || rrtype::mnemonic(e.rrtype).map_or_else(|| has(&rrtype::to_string(e.rrtype)), has)
        || e.sources.iter().any(|s| has(s))
}

/// The text of one cell, unescaped (escaping happens when drawing).
pub fn cell_text(e: &Entry, c: Column) -> String {
    match c {
        Column::Name => e.rrname.clone(),
        Column::Type => rrtype::to_string(e.rrtype),
        Column::Rdata => e.rdata.clone(),
        Column::First => pdnsfile::time::rfc3339(e.time_first),
        Column::Last => pdnsfile::time::rfc3339(e.time_last),
        Column::Count => e.count.map_or_else(|| "?".into(), |c| c.to_string()),
        Column::Sources => e.sources.join(" "),
    }
}

/// The pivot from an rdata cell: an address to the names on it, a CNAME
/// or DNAME target to its own history, any other name in rdata (NS, MX,
/// SRV, PTR, SOA, SVCB) to everything that names it.
pub fn rdata_pivot(e: &Entry) -> Result<String, String> {
    use pdnsfile::rrtype::known;
    if e.rrtype == known::A || e.rrtype == known::AAAA {
        return Ok(e.rdata.clone());
    }
    let names = rdata_names(e.rrtype, &e.rdata);
    let first = names.first().ok_or_else(|| {
        format!(
            "no name or address in {} rdata to pivot on",
            rrtype::to_string(e.rrtype)
        )
    })?;
    if e.rrtype == known::CNAME || e.rrtype == known::DNAME {
        Ok((*first).to_string())
    } else {
        Ok(format!("rdata:{first}"))
    }
}

/// `pdns-<query>.jsonl` in the current folder, with the query reduced to
/// characters safe in a file name.
pub fn default_export_name(query: &str) -> String {
    let slug: String = query
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    let slug = slug.trim_matches('.');
    format!(
        "pdns-{}.jsonl",
        if slug.is_empty() { "export" } else { slug }
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn narrowing_ignores_ascii_case() {
        let mut e = Entry::new("a.example", 16, "\"Hello World\"", 1, 2, None).unwrap();
        e.add_source("DNSDB-Team");
        for needle in ["hello w", "a.ex", "txt", "dnsdb-t"] {
            let f = memchr::memmem::Finder::new(needle);
            assert!(row_contains(&e, &f), "{needle}");
        }
        assert!(!row_contains(&e, &memchr::memmem::Finder::new("nope")));
        assert_eq!(
            default_export_name("*.evil.example type:A"),
            "pdns-_.evil.example_type_A.jsonl"
        );
    }
}
