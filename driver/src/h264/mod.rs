//! H.264: slice-header parsing and the VA → V4L2 control translation.

pub mod bits;
pub mod controls;
pub mod corrupt;
pub mod slice_header;
