//! What memory beyond the argument struct each ioctl points to, so that the tracer captures and
//! replay restores the same bytes: the control array of EXT_CTRLS and each control's payload,
//! the plane array of multi-planar buffers, and the four arrays of MEDIA_IOC_G_TOPOLOGY.
//!
//! Each [`PayloadSpec`] says where in the argument struct the pointer and the element count are,
//! how big one element is, when to read it, and under which condition. The eBPF side mirrors
//! these numbers (it cannot link this crate); [`nested_reads`] and [`control_reads`] apply them to
//! captured bytes for user-space code and tests.

use serde::Serialize;

use super::layout::{
    media_v2_entity, media_v2_interface, media_v2_link, media_v2_pad, media_v2_topology as T,
    v4l2_buffer as B, v4l2_ext_control as E, v4l2_ext_controls as X, v4l2_plane,
};
use super::{ext_ctrls, fmt, media, names, qbuf};
use crate::record::PayloadKind;

/// When a payload is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Capture {
    /// At syscall entry (what user space passes in).
    pub before: bool,
    /// At syscall exit (what the kernel wrote back).
    pub after: bool,
}

const BEFORE: Capture = Capture {
    before: true,
    after: false,
};
const AFTER: Capture = Capture {
    before: false,
    after: true,
};
const BOTH: Capture = Capture {
    before: true,
    after: true,
};

/// A condition on the argument struct for a payload to exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Condition {
    Always,
    /// The `u32` at `type_offset` is a multi-planar buffer type (9 or 10).
    MplaneBufType {
        type_offset: usize,
    },
}

/// One array a struct points to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayloadSpec {
    /// Record kind of the captured bytes.
    pub kind: PayloadKind,
    /// Offset of the `u64` user pointer in the argument struct.
    pub ptr_offset: usize,
    /// Offset of the `u32` element count in the argument struct.
    pub count_offset: usize,
    /// Size of one element.
    pub elem_size: usize,
    /// Most elements read (the kernel's own limit).
    pub max_count: u32,
    /// When to read the array.
    pub capture: Capture,
    /// Take the count from the struct as it is after the call (MEDIA_IOC_G_TOPOLOGY fills the
    /// counts in) rather than before.
    pub count_after: bool,
    /// When the array exists.
    pub condition: Condition,
    /// For control arrays: each element's own payload (`ptr`, `size`) is read too, at the
    /// times given here.
    pub element_payloads: Option<Capture>,
}

const fn planes(capture: Capture) -> PayloadSpec {
    PayloadSpec {
        kind: PayloadKind::Planes,
        ptr_offset: B::M,
        count_offset: B::LENGTH,
        elem_size: v4l2_plane::SIZE,
        max_count: fmt::VIDEO_MAX_PLANES as u32,
        capture,
        count_after: false,
        condition: Condition::MplaneBufType {
            type_offset: B::TYPE,
        },
        element_payloads: None,
    }
}

const fn ext_controls(payloads: Capture) -> PayloadSpec {
    PayloadSpec {
        kind: PayloadKind::ExtControls,
        ptr_offset: X::CONTROLS,
        count_offset: X::COUNT,
        elem_size: E::SIZE,
        max_count: ext_ctrls::MAX_CTRLS,
        capture: BOTH,
        count_after: false,
        condition: Condition::Always,
        element_payloads: Some(payloads),
    }
}

const fn topology(
    kind: PayloadKind,
    ptr_offset: usize,
    count_offset: usize,
    elem_size: usize,
) -> PayloadSpec {
    PayloadSpec {
        kind,
        ptr_offset,
        count_offset,
        elem_size,
        max_count: media::MAX_TOPOLOGY_ELEMENTS,
        capture: AFTER,
        count_after: true,
        condition: Condition::Always,
        element_payloads: None,
    }
}

static QBUF_LIKE: [PayloadSpec; 1] = [planes(BOTH)];
static DQBUF_LIKE: [PayloadSpec; 1] = [planes(AFTER)];
static S_EXT_CTRLS: [PayloadSpec; 1] = [ext_controls(BEFORE)];
static G_EXT_CTRLS: [PayloadSpec; 1] = [ext_controls(AFTER)];
static G_TOPOLOGY: [PayloadSpec; 4] = [
    topology(
        PayloadKind::TopologyEntities,
        T::PTR_ENTITIES,
        T::NUM_ENTITIES,
        media_v2_entity::SIZE,
    ),
    topology(
        PayloadKind::TopologyInterfaces,
        T::PTR_INTERFACES,
        T::NUM_INTERFACES,
        media_v2_interface::SIZE,
    ),
    topology(
        PayloadKind::TopologyPads,
        T::PTR_PADS,
        T::NUM_PADS,
        media_v2_pad::SIZE,
    ),
    topology(
        PayloadKind::TopologyLinks,
        T::PTR_LINKS,
        T::NUM_LINKS,
        media_v2_link::SIZE,
    ),
];

/// The nested arrays of `request` (empty for ioctls without any).
///
/// MEDIA_IOC_ENUM_LINKS also points to arrays, but their lengths come from an earlier
/// ENUM_ENTITIES, not from the struct: they are not captured.
pub fn payload_specs(request: u32) -> &'static [PayloadSpec] {
    match request {
        qbuf::VIDIOC_QBUF | qbuf::VIDIOC_PREPARE_BUF => &QBUF_LIKE,
        qbuf::VIDIOC_DQBUF | qbuf::VIDIOC_QUERYBUF => &DQBUF_LIKE,
        ext_ctrls::VIDIOC_S_EXT_CTRLS | ext_ctrls::VIDIOC_TRY_EXT_CTRLS => &S_EXT_CTRLS,
        ext_ctrls::VIDIOC_G_EXT_CTRLS => &G_EXT_CTRLS,
        media::MEDIA_IOC_G_TOPOLOGY => &G_TOPOLOGY,
        _ => &[],
    }
}

/// Offset of `size` in `struct v4l2_ext_control`.
pub const CONTROL_PAYLOAD_SIZE_OFFSET: usize = E::SIZE_;
/// Offset of the `ptr` union member in `struct v4l2_ext_control`.
pub const CONTROL_PAYLOAD_PTR_OFFSET: usize = E::VALUE;
/// Largest control payload worth capturing whole (bigger ones are cut to this).
pub const CONTROL_PAYLOAD_MAX: u32 = 64 * 1024;

/// One read to perform (or that was performed) in the traced process's memory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NestedRead {
    pub kind: PayloadKind,
    pub addr: u64,
    pub len: usize,
    pub capture: Capture,
}

fn u32_at(bytes: &[u8], off: usize) -> Option<u32> {
    let b = bytes.get(off..off.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn u64_at(bytes: &[u8], off: usize) -> Option<u64> {
    let b = bytes.get(off..off.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_le_bytes(a))
}

/// The arrays to read for `request` given its argument struct bytes: `before` at entry,
/// `after` at exit (pass the same bytes twice if only one side is known). Null pointers and
/// zero counts give no read; counts are clamped to the spec's maximum.
pub fn nested_reads(request: u32, before: &[u8], after: &[u8]) -> Vec<NestedRead> {
    let mut out = Vec::new();
    for spec in payload_specs(request) {
        let arg = if (spec.count_after && !after.is_empty()) || before.is_empty() {
            after
        } else {
            before
        };
        let ok = match spec.condition {
            Condition::Always => true,
            Condition::MplaneBufType { type_offset } => {
                u32_at(arg, type_offset).is_some_and(names::is_mplane)
            }
        };
        let (Some(addr), Some(count)) =
            (u64_at(arg, spec.ptr_offset), u32_at(arg, spec.count_offset))
        else {
            continue;
        };
        if !ok || addr == 0 || count == 0 {
            continue;
        }
        let count = count.min(spec.max_count) as usize;
        out.push(NestedRead {
            kind: spec.kind.clone(),
            addr,
            len: count * spec.elem_size,
            capture: spec.capture,
        });
    }
    out
}

/// The control payloads to read given a captured `v4l2_ext_control` array: one per control whose
/// `size` is non-zero, `size` bytes at its `ptr` (cut to [`CONTROL_PAYLOAD_MAX`]).
pub fn control_reads(request: u32, controls: &[u8]) -> Vec<NestedRead> {
    let Some(capture) = payload_specs(request)
        .iter()
        .find_map(|s| s.element_payloads)
    else {
        return Vec::new();
    };
    controls
        .chunks_exact(E::SIZE)
        .take(ext_ctrls::MAX_CTRLS as usize)
        .enumerate()
        .filter_map(|(i, el)| {
            let size = u32_at(el, CONTROL_PAYLOAD_SIZE_OFFSET)?;
            let addr = u64_at(el, CONTROL_PAYLOAD_PTR_OFFSET)?;
            (size != 0 && addr != 0).then(|| NestedRead {
                kind: PayloadKind::Control { index: i as u32 },
                addr,
                len: size.min(CONTROL_PAYLOAD_MAX) as usize,
                capture,
            })
        })
        .collect()
}
