//! The library half of the `vatrace` package: the modules that turn the eBPF side's raw records
//! into a trace, reachable by unit tests. [`raw`] decodes ring-buffer records, [`convert`]
//! pairs ioctl entries with exits, gathers their payloads and bitstream and writes trace
//! records, [`devices`] describes the V4L2 and media nodes a trace names. The `vatrace` binary
//! (`src/main.rs`) holds the CLI, the loader and the commands.

pub mod convert;
pub mod devices;
pub mod raw;
