//! vatrace's trace format, ioctl catalogue, decoders and pool-state model: the crate every other
//! part of the toolkit (tracer, replay, TUI, checks) reads and writes traces through.
//!
//! * [`record`]: the data model of a trace ([`Header`], [`Record`]);
//! * [`stream`]: the file format ([`TraceWriter`], [`TraceReader`]);
//! * [`source`]: [`RecordSource`], one interface over files and live tracers;
//! * [`ioctl`]: the ioctl catalogue, nested-payload table and argument decoders;
//! * [`controls`]: codec-control names and payload decoders;
//! * [`dump`]: strace-like text lines and JSON objects for records;
//! * [`check`]: the rules `vatrace check` judges a trace by (findings with severity and source);
//! * [`diff`]: `vatrace diff`, two traces of one stream compared frame by frame;
//! * [`edit`]: trace editing that keeps a trace valid (`vatrace cut`, `vatrace minimize`);
//! * [`procs`]: the one process/fd model (fd tables per process through dup, fork, exec, exit);
//! * [`probe`]: the libva driver's pool transitions as uprobe records name them;
//! * [`pool`]: the pool-state model (buffers, queues, requests) built on it;
//! * [`uapi`]: the generated kernel uapi (structs, numbers, ioctls, control ids) all of it rests on.
#![forbid(unsafe_code)]

pub mod check;
pub mod controls;
pub mod diff;
pub mod dump;
pub mod edit;
pub mod ioctl;
#[cfg(test)]
mod layout_check;
pub mod pool;
pub mod probe;
pub mod procs;
pub mod record;
pub mod source;
pub mod stream;

pub use record::{Header, Record};
pub use source::RecordSource;
pub use stream::{TraceError, TraceReader, TraceWriter};
pub use uapi;
