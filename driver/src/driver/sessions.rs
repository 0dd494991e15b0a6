//! The display's decoder sessions, addressed by index from surfaces and contexts. Lookups
//! answer with a VA status rather than panicking on a stale index.

use crate::session::Session;
use crate::va::{VaError, VaResult};

#[derive(Default)]
pub struct Sessions(Vec<Option<Session>>);

impl Sessions {
    /// Session `i`, or `err` when there is none (closed, or never opened).
    pub fn get(&mut self, i: usize, err: VaError) -> VaResult<&mut Session> {
        self.0.get_mut(i).and_then(Option::as_mut).ok_or(err)
    }

    pub fn get_ref(&self, i: usize, err: VaError) -> VaResult<&Session> {
        self.0.get(i).and_then(Option::as_ref).ok_or(err)
    }

    /// Session `i` if it is open.
    pub fn find(&mut self, i: usize) -> Option<&mut Session> {
        self.0.get_mut(i).and_then(Option::as_mut)
    }

    /// Indexes of open sessions matching `f`.
    pub fn matching<'a>(
        &'a self,
        f: impl Fn(&Session) -> bool + 'a,
    ) -> impl Iterator<Item = usize> + 'a {
        self.0
            .iter()
            .enumerate()
            .filter(move |(_, s)| s.as_ref().is_some_and(&f))
            .map(|(i, _)| i)
    }

    /// Stores `s` in a free place; its index.
    pub fn insert(&mut self, s: Session) -> usize {
        match self.0.iter().position(Option::is_none) {
            Some(i) => {
                self.0[i] = Some(s);
                i
            }
            None => {
                self.0.push(Some(s));
                self.0.len() - 1
            }
        }
    }

    /// Closes session `i`.
    pub fn close(&mut self, i: usize) {
        if let Some(s) = self.0.get_mut(i) {
            *s = None;
        }
    }

    pub fn clear(&mut self) {
        self.0.clear()
    }
}
