//! A regular expression as an `fst` automaton, over a dense DFA from
//! `regex-automata`, so regex search walks the name index instead of
//! every name.

use fst::Automaton;
use regex_automata::dfa::{dense, Automaton as _};
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::{util::syntax, Anchored};

use crate::error::{Error, Result};

/// Upper bound on the DFA's memory: a hostile or careless pattern
/// (`(a|b)*a(a|b){20}`) is refused instead of eating the machine.
const DFA_LIMIT: usize = 32 << 20;

/// A compiled, unanchored, case-insensitive regex over names.
pub(crate) struct RegexAutomaton {
    dfa: dense::DFA<Vec<u32>>,
    start: StateID,
}

impl RegexAutomaton {
    pub(crate) fn new(pattern: &str) -> Result<RegexAutomaton> {
        let bad = |e: String| Error::InvalidQuery(format!("regex {pattern:?}: {e}"));
        let dfa = dense::Builder::new()
            .syntax(
                syntax::Config::new()
                    .case_insensitive(true)
                    .unicode(false)
                    .utf8(false),
            )
            .configure(
                dense::Config::new()
                    .dfa_size_limit(Some(DFA_LIMIT))
                    .determinize_size_limit(Some(DFA_LIMIT)),
            )
            .build(pattern)
            .map_err(|e| bad(e.to_string()))?;
        let start = dfa
            .start_state(&start::Config::new().anchored(Anchored::No))
            .map_err(|e| bad(e.to_string()))?;
        Ok(RegexAutomaton { dfa, start })
    }
}

/// `None` is the dead state; the flag records that a match was already
/// seen, after which every continuation matches too (search semantics).
impl Automaton for RegexAutomaton {
    type State = Option<(StateID, bool)>;

    fn start(&self) -> Self::State {
        Some((self.start, false))
    }

    fn is_match(&self, state: &Self::State) -> bool {
        match *state {
            Some((_, true)) => true,
            Some((id, false)) => self.dfa.is_match_state(self.dfa.next_eoi_state(id)),
            None => false,
        }
    }

    fn can_match(&self, state: &Self::State) -> bool {
        state.is_some()
    }

    fn will_always_match(&self, state: &Self::State) -> bool {
        matches!(state, Some((_, true)))
    }

    fn accept(&self, state: &Self::State, byte: u8) -> Self::State {
        let (id, matched) = (*state)?;
        if matched {
            return Some((id, true));
        }
        let next = self.dfa.next_state(id, byte);
        if self.dfa.is_match_state(next) {
            Some((next, true))
        } else if self.dfa.is_dead_state(next) || self.dfa.is_quit_state(next) {
            None
        } else {
            Some((next, false))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(p: &str, s: &str) -> bool {
        let a = RegexAutomaton::new(p).unwrap();
        let mut st = a.start();
        for &b in s.as_bytes() {
            st = a.accept(&st, b);
        }
        a.is_match(&st)
    }

    #[test]
    fn search_semantics() {
        assert!(run("evil", "www.evil.com"));
        assert!(run("^www", "www.evil.com"));
        assert!(!run("^evil", "www.evil.com"));
        assert!(run("com$", "www.evil.com"));
        assert!(!run("com$", "www.evil.com.au"));
        assert!(run("EVIL", "www.evil.com"));
        assert!(run("^[a-z]+[0-9]\\.", "host1.example"));
        assert!(RegexAutomaton::new("(").is_err());
    }
}
