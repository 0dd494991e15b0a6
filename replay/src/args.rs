//! Rebuilds a recorded ioctl's argument for the replay process: the argument bytes as the client
//! passed them, every nested array the `traces` payload table knows (plane arrays, control arrays,
//! each control's payload, topology arrays) re-created from the recorded bytes in replay-owned
//! memory with the pointers rewritten to it, and every fd inside (request fds, DMABUF plane fds)
//! remapped. An argument whose pointers replay cannot account for is never issued.

use traces::ioctl::layout::{
    media_links_enum as LE, v4l2_buffer as B, v4l2_ext_controls as X, v4l2_plane as PL,
};
use traces::ioctl::{self, names, ArgType, Condition, IoctlInfo, PayloadKind};
use traces::record::{Ioctl, Payload};

use crate::bytes::{i32_at, put_i32, put_u64, u32_at, u64_at};
use crate::validate::MAX_CONTROL;

/// One re-created nested array and where its pointer lives.
#[derive(Debug)]
pub struct Nested {
    pub kind: PayloadKind,
    pub bytes: Vec<u8>,
    /// Whether the kernel writes it back (captured after the call).
    pub after: bool,
}

/// A prepared argument: the struct and the replay-owned memory its pointers point to.
#[derive(Debug)]
pub struct Prepared {
    pub arg: Vec<u8>,
    pub nested: Vec<Nested>,
    pub controls: Vec<Vec<u8>>,
}

impl Prepared {
    /// The replay side as a `traces` record: `before`, the argument now (after the call), and
    /// the nested arrays the kernel wrote back, for decoding and comparison. `injected`: whether
    /// the replay injected `ret` instead of issuing the call (not the recording's flag).
    pub fn to_record(&self, recorded: &Ioctl, before: Vec<u8>, ret: i64, injected: bool) -> Ioctl {
        let dir = ioctl::Dir::of(recorded.request);
        Ioctl {
            before,
            after: if dir.reads_after() {
                self.arg.clone()
            } else {
                Vec::new()
            },
            payloads: self
                .nested
                .iter()
                .map(|n| Payload {
                    kind: n.kind.clone(),
                    addr: n.bytes.as_ptr() as u64,
                    before: Vec::new(),
                    after: if n.after { n.bytes.clone() } else { Vec::new() },
                })
                .collect(),
            ret,
            injected,
            ..recorded.clone()
        }
    }
}

/// Why a call is not issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotReplayable(pub String);

fn payload_bytes<'a>(io: &'a Ioctl, kind: &PayloadKind) -> &'a [u8] {
    match io.payload(kind) {
        Some(p) if !p.before.is_empty() => &p.before,
        Some(p) => &p.after,
        None => &[],
    }
}

/// Whether the argument type holds no pointer replay would have to rewrite beyond the payload
/// table's, and no fd it cannot remap.
fn supported(info: &IoctlInfo) -> bool {
    !matches!(info.arg, ArgType::Opaque | ArgType::DmaBufSyncFile)
}

/// Prepares `io`'s argument; `fd_map` turns a recorded fd of the same process into the replay's.
pub fn prepare(io: &Ioctl, fd_map: &dyn Fn(i32) -> Option<i32>) -> Result<Prepared, NotReplayable> {
    let size = ioctl::IocFields::split(io.request).size;
    let info = ioctl::lookup(io.request);
    match info {
        Some(i) if supported(i) => {}
        Some(i) if size == 0 => {
            let _ = i;
        }
        Some(i) => {
            return Err(NotReplayable(format!(
                "{}: argument not replayed (it may hold pointers or fds)",
                i.name
            )))
        }
        // Numbers outside the catalogue are never issued, whatever their argument.
        None => {
            return Err(NotReplayable(
                "ioctl number outside vatrace's catalogue (never issued)".into(),
            ))
        }
    }
    let mut arg = if io.before.len() == size {
        io.before.clone()
    } else if io.before.is_empty() {
        vec![0; size]
    } else {
        return Err(NotReplayable(format!(
            "argument is {} bytes, expected {size}",
            io.before.len()
        )));
    };
    let mut nested = Vec::new();
    let mut controls = Vec::new();
    for spec in ioctl::payload_specs(io.request) {
        let applies = match spec.condition {
            Condition::Always => true,
            Condition::MplaneBufType { type_offset } => {
                u32_at(&arg, type_offset).is_some_and(names::is_mplane)
            }
        };
        let ptr = u64_at(&arg, spec.ptr_offset).unwrap_or(0);
        if !applies || ptr == 0 {
            continue;
        }
        let count = u32_at(&arg, spec.count_offset)
            .unwrap_or(0)
            .min(spec.max_count) as usize;
        let mut bytes = vec![0u8; count * spec.elem_size];
        let rec = payload_bytes(io, &spec.kind);
        let n = rec.len().min(bytes.len());
        bytes[..n].copy_from_slice(&rec[..n]);
        if spec.element_payloads.is_some() {
            for (i, el) in bytes.chunks_exact_mut(spec.elem_size).enumerate() {
                let size = u32_at(el, ioctl::CONTROL_PAYLOAD_SIZE_OFFSET).unwrap_or(0);
                let p = u64_at(el, ioctl::CONTROL_PAYLOAD_PTR_OFFSET).unwrap_or(0);
                if size == 0 || p == 0 {
                    continue;
                }
                if size > MAX_CONTROL {
                    return Err(NotReplayable(format!(
                        "control {i}: payload of {size} bytes"
                    )));
                }
                let mut payload = vec![0u8; size as usize];
                let rec = payload_bytes(io, &PayloadKind::Control { index: i as u32 });
                let n = rec.len().min(payload.len());
                payload[..n].copy_from_slice(&rec[..n]);
                put_u64(
                    el,
                    ioctl::CONTROL_PAYLOAD_PTR_OFFSET,
                    payload.as_ptr() as u64,
                );
                controls.push(payload);
            }
        }
        nested.push(Nested {
            kind: spec.kind.clone(),
            bytes,
            after: spec.capture.after,
        });
    }
    // Point the struct at the re-created arrays (their heap buffers do not move from here on).
    for (spec, n) in ioctl::payload_specs(io.request)
        .iter()
        .filter(|s| nested.iter().any(|n| n.kind == s.kind))
        .zip(&nested)
    {
        put_u64(&mut arg, spec.ptr_offset, n.bytes.as_ptr() as u64);
    }
    let remap = |fd: i32| fd_map(fd).unwrap_or(-1);
    if let Some(info) = info {
        match info.arg {
            ArgType::Buffer => {
                let flags = u32_at(&arg, B::FLAGS).unwrap_or(0);
                if flags & names::BUF_FLAG_REQUEST_FD != 0 {
                    let fd = i32_at(&arg, B::REQUEST_FD).unwrap_or(-1);
                    put_i32(&mut arg, B::REQUEST_FD, remap(fd));
                }
                let ty = u32_at(&arg, B::TYPE).unwrap_or(0);
                match u32_at(&arg, B::MEMORY).unwrap_or(0) {
                    names::MEMORY_DMABUF if names::is_mplane(ty) => {
                        if let Some(planes) =
                            nested.iter_mut().find(|n| n.kind == PayloadKind::Planes)
                        {
                            for pl in planes.bytes.chunks_exact_mut(PL::SIZE) {
                                let fd = i32_at(pl, PL::M).unwrap_or(-1);
                                put_i32(pl, PL::M, remap(fd));
                            }
                        }
                    }
                    names::MEMORY_DMABUF => {
                        let fd = i32_at(&arg, B::M).unwrap_or(-1);
                        put_i32(&mut arg, B::M, remap(fd));
                    }
                    names::MEMORY_USERPTR => {
                        return Err(NotReplayable("USERPTR buffers are not replayed".into()));
                    }
                    _ => {
                        // MMAP: a single-planar buffer's m.offset is a plain value; a multi-planar
                        // one's m.planes was rewritten above, or is null when no array was given.
                        if names::is_mplane(ty)
                            && !nested.iter().any(|n| n.kind == PayloadKind::Planes)
                        {
                            put_u64(&mut arg, B::M, 0);
                        }
                    }
                }
            }
            ArgType::ExtControls => {
                if u32_at(&arg, X::WHICH) == Some(names::CTRL_WHICH_REQUEST_VAL) {
                    let fd = i32_at(&arg, X::REQUEST_FD).unwrap_or(-1);
                    put_i32(&mut arg, X::REQUEST_FD, remap(fd));
                }
                if !nested.iter().any(|n| n.kind == PayloadKind::ExtControls) {
                    put_u64(&mut arg, X::CONTROLS, 0);
                }
            }
            ArgType::MediaLinksEnum => {
                // The arrays' sizes are not in the struct: let the kernel skip them.
                put_u64(&mut arg, LE::PADS, 0);
                put_u64(&mut arg, LE::LINKS, 0);
            }
            ArgType::MediaTopology => {
                use traces::ioctl::layout::media_v2_topology as T;
                for (kind, off) in [
                    (PayloadKind::TopologyEntities, T::PTR_ENTITIES),
                    (PayloadKind::TopologyInterfaces, T::PTR_INTERFACES),
                    (PayloadKind::TopologyPads, T::PTR_PADS),
                    (PayloadKind::TopologyLinks, T::PTR_LINKS),
                ] {
                    if !nested.iter().any(|n| n.kind == kind) {
                        put_u64(&mut arg, off, 0);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(Prepared {
        arg,
        nested,
        controls,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use traces::ioctl::ext_ctrls::VIDIOC_S_EXT_CTRLS;
    use traces::ioctl::layout::v4l2_ext_control as E;
    use traces::ioctl::qbuf::VIDIOC_QBUF;

    fn ext_ctrls_record() -> Ioctl {
        let mut arg = vec![0u8; X::SIZE];
        crate::bytes::put_u32(&mut arg, X::WHICH, names::CTRL_WHICH_REQUEST_VAL);
        crate::bytes::put_u32(&mut arg, X::COUNT, 1);
        put_i32(&mut arg, X::REQUEST_FD, 9);
        put_u64(&mut arg, X::CONTROLS, 0xdead_0000);
        let mut ctrl = vec![0u8; E::SIZE];
        crate::bytes::put_u32(&mut ctrl, ioctl::CONTROL_PAYLOAD_SIZE_OFFSET, 4);
        put_u64(&mut ctrl, ioctl::CONTROL_PAYLOAD_PTR_OFFSET, 0xbeef_0000);
        Ioctl {
            request: VIDIOC_S_EXT_CTRLS,
            before: arg.clone(),
            after: arg,
            payloads: vec![
                Payload {
                    kind: PayloadKind::ExtControls,
                    addr: 0xdead_0000,
                    before: ctrl,
                    after: vec![],
                },
                Payload {
                    kind: PayloadKind::Control { index: 0 },
                    addr: 0xbeef_0000,
                    before: vec![1, 2, 3, 4],
                    after: vec![],
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn control_pointers_and_request_fd_are_rewritten() {
        let io = ext_ctrls_record();
        let p = prepare(&io, &|fd| (fd == 9).then_some(42)).unwrap();
        assert_eq!(i32_at(&p.arg, X::REQUEST_FD), Some(42));
        let arr = &p.nested[0].bytes;
        assert_eq!(u64_at(&p.arg, X::CONTROLS), Some(arr.as_ptr() as u64));
        assert_eq!(
            u64_at(arr, ioctl::CONTROL_PAYLOAD_PTR_OFFSET),
            Some(p.controls[0].as_ptr() as u64)
        );
        assert_eq!(p.controls[0], vec![1, 2, 3, 4]);
    }

    #[test]
    fn replayed_record_is_injected_only_when_the_replay_injected_it() {
        let mut io = ext_ctrls_record();
        io.injected = true;
        io.ret = -16;
        let p = prepare(&io, &|fd| (fd == 9).then_some(42)).unwrap();
        let issued = p.to_record(&io, io.before.clone(), 0, false);
        assert_eq!((issued.ret, issued.injected), (0, false));
        let again = p.to_record(&io, io.before.clone(), -16, true);
        assert_eq!((again.ret, again.injected), (-16, true));
    }

    #[test]
    fn unknown_request_fd_becomes_invalid_and_opaque_args_are_refused() {
        let io = ext_ctrls_record();
        let p = prepare(&io, &|_| None).unwrap();
        assert_eq!(i32_at(&p.arg, X::REQUEST_FD), Some(-1));
        let opaque = Ioctl {
            request: ioctl::iowr(b'V', 0xee, 16),
            before: vec![0; 16],
            ..Default::default()
        };
        assert!(prepare(&opaque, &|_| None).is_err());
    }

    #[test]
    fn mplane_qbuf_without_plane_payload_gets_a_zeroed_array() {
        let mut arg = vec![0u8; B::SIZE];
        crate::bytes::put_u32(&mut arg, B::TYPE, names::BUF_TYPE_VIDEO_OUTPUT_MPLANE);
        crate::bytes::put_u32(&mut arg, B::MEMORY, names::MEMORY_MMAP);
        crate::bytes::put_u32(&mut arg, B::LENGTH, 1);
        put_u64(&mut arg, B::M, 0x1234);
        let io = Ioctl {
            request: VIDIOC_QBUF,
            before: arg,
            ..Default::default()
        };
        let p = prepare(&io, &|_| None).unwrap();
        assert_eq!(p.nested[0].bytes.len(), PL::SIZE);
        assert_eq!(
            u64_at(&p.arg, B::M),
            Some(p.nested[0].bytes.as_ptr() as u64)
        );
    }
}
