//! `vatrace minimize`: the smallest trace that still shows the bug, and `vatrace cut`, a shorter
//! trace by range.
//!
//! * [`predicate`]: what "still shows the bug" means (a replay verdict, a `check` finding, or a
//!   command judging the replay's report);
//! * [`ddmin`]: delta debugging over a list of units;
//! * [`search`]: the search, level by level (processes, threads, frames, probing runs, calls),
//!   every candidate written as a trace ([`traces::edit`]) and replayed on the device
//!   ([`replay::run`]);
//! * [`cli`]: the two commands' arguments and their runs.

pub mod cli;
pub mod ddmin;
pub mod predicate;
pub mod search;

pub use predicate::Predicate;
pub use search::{minimize, Options, Outcome};
