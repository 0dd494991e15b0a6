//! The uapi numbers, sizes and field offsets the eBPF programs read, each taken from the generated
//! `uapi` crate (`offset_of!`/`size_of` on its structs, its ioctl numbers and enum values), none
//! written as a literal. The host test `traces/src/layout_check/ebpf.rs` includes this file and
//! checks every entry of `IOCTLS`, `VALUES`, `SIZES` and `OFFSETS` against `traces`' catalogue
//! and the gcc-compiled layout oracle, and that `ioctl.rs` reads user memory only at these offsets.
// The tables are read by that host test, not by the programs.
#![allow(dead_code)]

use core::mem::{offset_of, size_of};

use uapi::{
    media_v2_entity, media_v2_interface, media_v2_link, media_v2_pad, media_v2_topology,
    v4l2_buffer, v4l2_exportbuffer, v4l2_ext_control, v4l2_ext_controls, v4l2_plane,
};

/// Defines each `NAME = value` constant and a table `$table` of `(name, value)` over them.
macro_rules! table {
    ($(#[$doc:meta])* $table:ident: $ty:ty { $($name:ident = $value:expr;)* }) => {
        $(pub const $name: $ty = $value;)*
        $(#[$doc])*
        pub const $table: &[(&str, $ty)] = &[$((stringify!($name), $name)),*];
    };
}

/// Defines each `NAME = struct.field` offset constant and `OFFSETS`, `(name, struct, field path,
/// offset)` for each.
macro_rules! offsets {
    ($($name:ident = $t:ident . $($f:ident).+;)*) => {
        $(pub const $name: u64 = offset_of!($t, $($f).+) as u64;)*
        /// Every offset above: (constant, C struct, Rust field path, offset).
        pub const OFFSETS: &[(&str, &str, &str, u64)] =
            &[$((stringify!($name), stringify!($t), stringify!($($f).+), $name)),*];
    };
}

table! {
    /// The ioctl numbers the programs compare `cmd` with.
    IOCTLS: u32 {
        VIDIOC_QUERYBUF = uapi::VIDIOC_QUERYBUF;
        VIDIOC_QBUF = uapi::VIDIOC_QBUF;
        VIDIOC_DQBUF = uapi::VIDIOC_DQBUF;
        VIDIOC_PREPARE_BUF = uapi::VIDIOC_PREPARE_BUF;
        VIDIOC_EXPBUF = uapi::VIDIOC_EXPBUF;
        VIDIOC_G_EXT_CTRLS = uapi::VIDIOC_G_EXT_CTRLS;
        VIDIOC_S_EXT_CTRLS = uapi::VIDIOC_S_EXT_CTRLS;
        VIDIOC_TRY_EXT_CTRLS = uapi::VIDIOC_TRY_EXT_CTRLS;
        MEDIA_IOC_G_TOPOLOGY = uapi::MEDIA_IOC_G_TOPOLOGY;
        MEDIA_IOC_REQUEST_ALLOC = uapi::MEDIA_IOC_REQUEST_ALLOC;
    }
}

table! {
    /// The buffer types and memory kinds the programs tell apart.
    VALUES: u32 {
        BUF_TYPE_VIDEO_OUTPUT = uapi::V4L2_BUF_TYPE_VIDEO_OUTPUT;
        BUF_TYPE_VIDEO_CAPTURE_MPLANE = uapi::V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
        BUF_TYPE_VIDEO_OUTPUT_MPLANE = uapi::V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
        MEMORY_MMAP = uapi::V4L2_MEMORY_MMAP;
        MEMORY_USERPTR = uapi::V4L2_MEMORY_USERPTR;
        MEMORY_DMABUF = uapi::V4L2_MEMORY_DMABUF;
    }
}

table! {
    /// Sizes of the array elements the programs copy.
    SIZES: u32 {
        EXT_CONTROL_SIZE = size_of::<v4l2_ext_control>() as u32;
        PLANE_SIZE = size_of::<v4l2_plane>() as u32;
        TOPOLOGY_ENTITY_SIZE = size_of::<media_v2_entity>() as u32;
        TOPOLOGY_INTERFACE_SIZE = size_of::<media_v2_interface>() as u32;
        TOPOLOGY_PAD_SIZE = size_of::<media_v2_pad>() as u32;
        TOPOLOGY_LINK_SIZE = size_of::<media_v2_link>() as u32;
    }
}

offsets! {
    BUFFER_INDEX = v4l2_buffer.index;
    BUFFER_TYPE = v4l2_buffer.type_;
    BUFFER_BYTESUSED = v4l2_buffer.bytesused;
    BUFFER_MEMORY = v4l2_buffer.memory;
    BUFFER_M = v4l2_buffer.m;
    BUFFER_LENGTH = v4l2_buffer.length;
    PLANE_BYTESUSED = v4l2_plane.bytesused;
    PLANE_LENGTH = v4l2_plane.length;
    PLANE_M = v4l2_plane.m;
    EXPBUF_TYPE = v4l2_exportbuffer.type_;
    EXPBUF_INDEX = v4l2_exportbuffer.index;
    EXPBUF_PLANE = v4l2_exportbuffer.plane;
    EXPBUF_FD = v4l2_exportbuffer.fd;
    EXT_CTRLS_COUNT = v4l2_ext_controls.count;
    EXT_CTRLS_CONTROLS = v4l2_ext_controls.controls;
    EXT_CONTROL_SIZE_FIELD = v4l2_ext_control.size;
    // The payload pointer (`ptr`) shares the union with `value`.
    EXT_CONTROL_PTR = v4l2_ext_control.__bindgen_anon_1.value;
    TOPOLOGY_NUM_ENTITIES = media_v2_topology.num_entities;
    TOPOLOGY_PTR_ENTITIES = media_v2_topology.ptr_entities;
    TOPOLOGY_NUM_INTERFACES = media_v2_topology.num_interfaces;
    TOPOLOGY_PTR_INTERFACES = media_v2_topology.ptr_interfaces;
    TOPOLOGY_NUM_PADS = media_v2_topology.num_pads;
    TOPOLOGY_PTR_PADS = media_v2_topology.ptr_pads;
    TOPOLOGY_NUM_LINKS = media_v2_topology.num_links;
    TOPOLOGY_PTR_LINKS = media_v2_topology.ptr_links;
}

/// `MEDIA_REQUEST_ALLOC`'s argument is the new request's fd (`int`), read at its start.
pub const REQUEST_ALLOC_FD: u64 = 0;

/// The four MEDIA_IOC_G_TOPOLOGY arrays (entities, interfaces, pads, links): where the element
/// count and the array pointer are in `media_v2_topology`, and the element size.
pub const TOPOLOGY: [(u64, u64, u32); 4] = [
    (
        TOPOLOGY_NUM_ENTITIES,
        TOPOLOGY_PTR_ENTITIES,
        TOPOLOGY_ENTITY_SIZE,
    ),
    (
        TOPOLOGY_NUM_INTERFACES,
        TOPOLOGY_PTR_INTERFACES,
        TOPOLOGY_INTERFACE_SIZE,
    ),
    (TOPOLOGY_NUM_PADS, TOPOLOGY_PTR_PADS, TOPOLOGY_PAD_SIZE),
    (TOPOLOGY_NUM_LINKS, TOPOLOGY_PTR_LINKS, TOPOLOGY_LINK_SIZE),
];
