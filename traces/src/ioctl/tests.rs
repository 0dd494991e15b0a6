//! Tests of the catalogue (its numbers are checked against gcc in `crate::layout_check`): lookup, unknown numbers, nested reads, decoders.

use super::layout::*;
use super::*;
use crate::record::{Ioctl, Payload, PayloadKind};

/// A zeroed struct image to poke little-endian fields into.
struct Img(Vec<u8>);

impl Img {
    fn new(size: usize) -> Self {
        Img(vec![0; size])
    }
    fn u8(mut self, off: usize, v: u8) -> Self {
        self.0[off] = v;
        self
    }
    fn u16(mut self, off: usize, v: u16) -> Self {
        self.0[off..off + 2].copy_from_slice(&v.to_le_bytes());
        self
    }
    fn u32(mut self, off: usize, v: u32) -> Self {
        self.0[off..off + 4].copy_from_slice(&v.to_le_bytes());
        self
    }
    fn i32(self, off: usize, v: i32) -> Self {
        self.u32(off, v as u32)
    }
    fn u64(mut self, off: usize, v: u64) -> Self {
        self.0[off..off + 8].copy_from_slice(&v.to_le_bytes());
        self
    }
    fn str(mut self, off: usize, s: &str) -> Self {
        self.0[off..off + s.len()].copy_from_slice(s.as_bytes());
        self
    }
}

#[test]
fn catalogue_has_no_duplicates_and_consistent_fields() {
    let infos: Vec<_> = all().collect();
    for (i, a) in infos.iter().enumerate() {
        for b in &infos[i + 1..] {
            assert_ne!(a.request, b.request, "{} and {}", a.name, b.name);
            assert_ne!(a.name, b.name);
        }
        let f = IocFields::split(a.request);
        assert_eq!(f.size, a.size);
        assert_eq!(f.dir, a.dir);
        assert!(is_v4l2_or_media(a.request), "{}", a.name);
        let expected_family = match (f.ty, f.nr) {
            (b'V', _) => Family::V4l2,
            (b'|', nr) if nr >= 0x80 => Family::Request,
            (b'|', _) => Family::Media,
            (b'b', _) => Family::DmaBuf,
            _ => panic!("{}: unexpected type byte", a.name),
        };
        assert_eq!(a.family, expected_family, "{}", a.name);
    }
}

#[test]
fn known_names_and_directions() {
    let q = lookup(0xc058_560f).unwrap();
    assert_eq!(q.name, "VIDIOC_QBUF");
    assert_eq!(q.dir, Dir::ReadWrite);
    assert_eq!(q.size, v4l2_buffer::SIZE);
    assert_eq!(q.arg, ArgType::Buffer);
    let s = lookup(dma_buf::DMA_BUF_IOCTL_SYNC).unwrap();
    assert_eq!(s.dir, Dir::Write);
    assert!(s.dir.reads_before() && !s.dir.reads_after());
    assert_eq!(
        lookup(request::MEDIA_REQUEST_IOC_QUEUE).unwrap().dir,
        Dir::None
    );
    assert_eq!(lookup(querycap::VIDIOC_QUERYCAP).unwrap().dir, Dir::Read);
    assert_eq!(
        name(media::MEDIA_IOC_REQUEST_ALLOC),
        "MEDIA_IOC_REQUEST_ALLOC"
    );
}

#[test]
fn unknown_numbers_are_named_not_errors() {
    // TCGETS and a made-up V4L2 number.
    assert!(lookup(0x5401).is_none());
    assert_eq!(name(0x5401), "UNKNOWN(0x00005401)");
    assert!(!is_v4l2_or_media(0x5401));
    let made_up = iowr(b'V', 0xee, 88);
    assert!(is_v4l2_or_media(made_up));
    assert_eq!(
        describe(made_up),
        "UNKNOWN(0xc05856ee: dir=RW, type='V', nr=0xee, size=88)"
    );
    assert_eq!(
        describe(0x5401),
        "UNKNOWN(0x00005401: dir=-, type='T', nr=0x01, size=0)"
    );
    assert_eq!(
        describe(0x8000_0000 | 0x0100),
        "UNKNOWN(0x80000100: dir=R, type=0x01, nr=0x00, size=0)"
    );
    assert_eq!(decode(made_up, &[1, 2, 3]), Ok(Arg::Opaque { len: 3 }));
    let d = decode_ioctl(&Ioctl {
        request: made_up,
        before: vec![0; 88],
        ..Default::default()
    });
    assert_eq!(d.name, "UNKNOWN(0xc05856ee)");
    assert!(d.info.is_none());
    assert_eq!(d.before, Some(Ok(Arg::Opaque { len: 88 })));
    assert_eq!(d.after, None);
}

#[test]
fn short_input_is_an_error_for_every_struct() {
    for info in all() {
        let need = match info.arg {
            ArgType::None | ArgType::Opaque => continue,
            ArgType::EncoderCmd | ArgType::FrmIvalEnum | ArgType::StreamParm => continue,
            ArgType::MediaLinksEnum | ArgType::MediaLinkDesc => continue,
            _ => info.size,
        };
        assert!(need > 0, "{}", info.name);
        for len in [0, 1, need - 1] {
            match decode(info.request, &vec![0xff; len]) {
                Err(DecodeError::Short { need: n, got, .. }) => {
                    assert_eq!((n, got), (need, len), "{}", info.name)
                }
                other => panic!("{} with {len} bytes: {other:?}", info.name),
            }
        }
    }
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes(&mut self, max: u64) -> Vec<u8> {
        let n = self.next() % max;
        (0..n).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for info in all() {
        for _ in 0..50 {
            let len = info.size + (rng.next() % 16) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let mut payloads: Vec<Payload> = Vec::new();
            for s in payload_specs(info.request) {
                payloads.push(Payload {
                    kind: s.kind.clone(),
                    addr: 1,
                    before: rng.bytes(700),
                    after: vec![],
                });
            }
            for i in 0..3 {
                payloads.push(Payload {
                    kind: PayloadKind::Control { index: i },
                    addr: 1,
                    before: rng.bytes(300),
                    after: vec![],
                });
            }
            let ioctl = Ioctl {
                request: info.request,
                before: bytes.clone(),
                after: bytes,
                payloads,
                ..Default::default()
            };
            let d = decode_ioctl(&ioctl);
            if let Some(Ok(arg)) = d.best() {
                let _ = arg.to_string();
                let _ = serde_json::to_string(arg).unwrap();
            }
            let _ = nested_reads(info.request, &ioctl.before, &ioctl.after);
            let _ = control_reads(info.request, &ioctl.before);
        }
    }
}

#[test]
fn capability() {
    let b = Img::new(v4l2_capability::SIZE)
        .str(v4l2_capability::DRIVER, "visl")
        .str(v4l2_capability::CARD, "visl")
        .str(v4l2_capability::BUS_INFO, "platform:visl")
        .u32(v4l2_capability::VERSION, 0x060c00)
        .u32(v4l2_capability::CAPABILITIES, 0x8420_4000)
        .u32(v4l2_capability::DEVICE_CAPS, 0x0420_4000);
    let Arg::Capability(c) = decode(querycap::VIDIOC_QUERYCAP, &b.0).unwrap() else {
        panic!()
    };
    assert_eq!(c.driver, "visl");
    assert_eq!(c.bus_info, "platform:visl");
    assert_eq!(
        c.to_string(),
        "{driver=\"visl\", card=\"visl\", bus_info=\"platform:visl\", version=6.12.0, \
         capabilities=VIDEO_M2M_MPLANE|EXT_PIX_FORMAT|STREAMING|DEVICE_CAPS, \
         device_caps=VIDEO_M2M_MPLANE|EXT_PIX_FORMAT|STREAMING}"
    );
}

#[test]
fn fmtdesc_and_format() {
    let b = Img::new(v4l2_fmtdesc::SIZE)
        .u32(v4l2_fmtdesc::TYPE, 10)
        .u32(v4l2_fmtdesc::FLAGS, 0x0009)
        .str(v4l2_fmtdesc::DESCRIPTION, "H.264 Parsed Slice Data")
        .u32(v4l2_fmtdesc::PIXELFORMAT, names::fourcc_code(b"S264"));
    let Arg::FmtDesc(d) = decode(fmt::VIDIOC_ENUM_FMT, &b.0).unwrap() else {
        panic!()
    };
    assert_eq!(d.pixelformat.to_string(), "S264");
    assert!(d.to_string().contains("flags=COMPRESSED|DYN_RESOLUTION"));

    let u = v4l2_format::FMT;
    let b = Img::new(v4l2_format::SIZE)
        .u32(v4l2_format::TYPE, 9)
        .u32(u + v4l2_pix_format_mplane::WIDTH, 1920)
        .u32(u + v4l2_pix_format_mplane::HEIGHT, 1088)
        .u32(
            u + v4l2_pix_format_mplane::PIXELFORMAT,
            names::fourcc_code(b"NV12"),
        )
        .u32(u + v4l2_pix_format_mplane::FIELD, 1)
        .u32(
            u + v4l2_pix_format_mplane::PLANE_FMT + v4l2_plane_pix_format::SIZEIMAGE,
            3_133_440,
        )
        .u32(
            u + v4l2_pix_format_mplane::PLANE_FMT + v4l2_plane_pix_format::BYTESPERLINE,
            1920,
        )
        .u8(u + v4l2_pix_format_mplane::NUM_PLANES, 1);
    let Arg::Format(f) = decode(fmt::VIDIOC_S_FMT, &b.0).unwrap() else {
        panic!()
    };
    assert_eq!(f.size(), Some((1920, 1088)));
    assert_eq!(
        f.to_string(),
        "{type=VIDEO_CAPTURE_MPLANE, width=1920, height=1088, pixelformat=NV12, field=NONE, \
         num_planes=1, plane_fmt=[{sizeimage=3133440, bytesperline=1920}]}"
    );
    // A hostile num_planes is clamped to VIDEO_MAX_PLANES.
    let b = Img(b.0).u8(u + v4l2_pix_format_mplane::NUM_PLANES, 200);
    let Arg::Format(f) = decode(fmt::VIDIOC_S_FMT, &b.0).unwrap() else {
        panic!()
    };
    let fmt::FormatKind::PixMp(p) = f.fmt else {
        panic!()
    };
    assert_eq!(p.plane_fmt.len(), 8);

    let b = Img::new(v4l2_format::SIZE)
        .u32(v4l2_format::TYPE, 2)
        .u32(u + v4l2_pix_format::WIDTH, 320)
        .u32(u + v4l2_pix_format::HEIGHT, 240)
        .u32(
            u + v4l2_pix_format::PIXELFORMAT,
            names::fourcc_code(b"MG2S"),
        )
        .u32(u + v4l2_pix_format::SIZEIMAGE, 65536)
        .u32(u + v4l2_pix_format::COLORSPACE, 3);
    let Arg::Format(f) = decode(fmt::VIDIOC_TRY_FMT, &b.0).unwrap() else {
        panic!()
    };
    assert_eq!(f.pixelformat().unwrap().to_string(), "MG2S");
    assert!(
        f.to_string().contains("sizeimage=65536, colorspace=REC709"),
        "{f}"
    );
}

#[test]
fn reqbufs_and_expbuf() {
    let b = Img::new(v4l2_requestbuffers::SIZE)
        .u32(v4l2_requestbuffers::COUNT, 0)
        .u32(v4l2_requestbuffers::TYPE, 9)
        .u32(v4l2_requestbuffers::MEMORY, 1)
        .u32(v4l2_requestbuffers::CAPABILITIES, 0x1 | 0x4 | 0x8);
    let Arg::RequestBuffers(r) = decode(reqbufs::VIDIOC_REQBUFS, &b.0).unwrap() else {
        panic!()
    };
    assert_eq!(
        r.to_string(),
        "{count=0, type=VIDEO_CAPTURE_MPLANE, memory=MMAP, capabilities=SUPPORTS_MMAP|SUPPORTS_DMABUF|SUPPORTS_REQUESTS}"
    );
    let b = Img::new(v4l2_exportbuffer::SIZE)
        .u32(v4l2_exportbuffer::TYPE, 9)
        .u32(v4l2_exportbuffer::INDEX, 2)
        .u32(v4l2_exportbuffer::FLAGS, 0o2000002)
        .i32(v4l2_exportbuffer::FD, 17);
    let Arg::ExportBuffer(e) = decode(expbuf::VIDIOC_EXPBUF, &b.0).unwrap() else {
        panic!()
    };
    assert_eq!(
        e.to_string(),
        "{type=VIDEO_CAPTURE_MPLANE, index=2, plane=0, flags=O_RDWR|O_CLOEXEC, fd=17}"
    );
}

fn output_qbuf() -> (Vec<u8>, Vec<u8>) {
    let buf = Img::new(v4l2_buffer::SIZE)
        .u32(v4l2_buffer::INDEX, 3)
        .u32(v4l2_buffer::TYPE, 10)
        .u32(v4l2_buffer::FLAGS, names::BUF_FLAG_REQUEST_FD)
        .u64(v4l2_buffer::TIMESTAMP, 0)
        .u64(v4l2_buffer::TIMESTAMP_TV_USEC, 1)
        .u32(v4l2_buffer::MEMORY, 1)
        .u64(v4l2_buffer::M, 0x7fff_0000)
        .u32(v4l2_buffer::LENGTH, 1)
        .i32(v4l2_buffer::REQUEST_FD, 12);
    let plane = Img::new(v4l2_plane::SIZE)
        .u32(v4l2_plane::BYTESUSED, 1234)
        .u32(v4l2_plane::LENGTH, 1 << 20)
        .u32(v4l2_plane::M, 0x40000);
    (buf.0, plane.0)
}

#[test]
fn buffer_with_planes_and_request() {
    let (buf, plane) = output_qbuf();
    let payloads = vec![Payload {
        kind: PayloadKind::Planes,
        addr: 0x7fff_0000,
        before: plane,
        after: vec![],
    }];
    let arg = decode_with_payloads(qbuf::VIDIOC_QBUF, &buf, &payloads, Side::Before).unwrap();
    let Arg::Buffer(b) = &arg else { panic!() };
    assert_eq!(b.request(), Some(12));
    assert_eq!(b.timestamp.ns(), 1000);
    assert_eq!(b.planes.as_ref().unwrap()[0].bytesused, 1234);
    assert_eq!(
        arg.to_string(),
        "{type=VIDEO_OUTPUT_MPLANE, index=3, memory=MMAP, flags=REQUEST_FD, request_fd=12, timestamp=1000, \
         planes=[{bytesused=1234, length=1048576, m.offset=0x40000}]}"
    );
    // Without the plane array the pointer and count are shown.
    let Arg::Buffer(b) = decode(qbuf::VIDIOC_QBUF, &buf).unwrap() else {
        panic!()
    };
    assert!(b.planes.is_none());
    assert!(b.to_string().ends_with("timestamp=1000, length=1}"), "{b}");
    // Single-planar DMABUF capture buffer.
    let sp = Img::new(v4l2_buffer::SIZE)
        .u32(v4l2_buffer::TYPE, 1)
        .u32(v4l2_buffer::FLAGS, 0x1 | 0x4000)
        .u32(v4l2_buffer::BYTESUSED, 115_200)
        .u32(v4l2_buffer::MEMORY, 4)
        .i32(v4l2_buffer::M, 33)
        .u32(v4l2_buffer::LENGTH, 115_200)
        .u32(v4l2_buffer::SEQUENCE, 7);
    let Arg::Buffer(b) = decode(qbuf::VIDIOC_DQBUF, &sp.0).unwrap() else {
        panic!()
    };
    assert_eq!(b.m, qbuf::Memory::Fd(33));
    assert_eq!(
        b.to_string(),
        "{type=VIDEO_CAPTURE, index=0, memory=DMABUF, flags=MAPPED|TIMESTAMP_COPY, timestamp=0, sequence=7, \
         bytesused=115200, length=115200, m.fd=33}"
    );
}

#[test]
fn nested_reads_for_buffers() {
    let (buf, _) = output_qbuf();
    let reads = nested_reads(qbuf::VIDIOC_QBUF, &buf, &buf);
    assert_eq!(
        reads,
        vec![NestedRead {
            kind: PayloadKind::Planes,
            addr: 0x7fff_0000,
            len: v4l2_plane::SIZE,
            capture: Capture {
                before: true,
                after: true
            }
        }]
    );
    assert_eq!(
        nested_reads(qbuf::VIDIOC_DQBUF, &buf, &buf)[0].capture,
        Capture {
            before: false,
            after: true
        }
    );
    // Single-planar: no plane array.
    let sp = Img(buf.clone()).u32(v4l2_buffer::TYPE, 2).0;
    assert!(nested_reads(qbuf::VIDIOC_QBUF, &sp, &sp).is_empty());
    // Hostile length is clamped to 8 planes.
    let many = Img(buf.clone()).u32(v4l2_buffer::LENGTH, 1000).0;
    assert_eq!(
        nested_reads(qbuf::VIDIOC_QBUF, &many, &many)[0].len,
        8 * v4l2_plane::SIZE
    );
    // Short input gives no read rather than a panic.
    assert!(nested_reads(qbuf::VIDIOC_QBUF, &buf[..70], &[]).is_empty());
    assert!(nested_reads(streamon::VIDIOC_STREAMON, &[10, 0, 0, 0], &[]).is_empty());
}

fn ext_ctrls_image(count: u32, ptr: u64) -> Vec<u8> {
    Img::new(v4l2_ext_controls::SIZE)
        .u32(v4l2_ext_controls::WHICH, names::CTRL_WHICH_REQUEST_VAL)
        .u32(v4l2_ext_controls::COUNT, count)
        .i32(v4l2_ext_controls::REQUEST_FD, 12)
        .u64(v4l2_ext_controls::CONTROLS, ptr)
        .0
}

#[test]
fn ext_controls_nested_reads_and_decode() {
    let sps_id = crate::controls::ids::V4L2_CID_STATELESS_H264_SPS;
    let mode_id = crate::controls::ids::V4L2_CID_STATELESS_H264_DECODE_MODE;
    let arg = ext_ctrls_image(2, 0x5000);
    let reads = nested_reads(ext_ctrls::VIDIOC_S_EXT_CTRLS, &arg, &[]);
    assert_eq!(reads.len(), 1);
    assert_eq!(
        (reads[0].addr, reads[0].len),
        (0x5000, 2 * v4l2_ext_control::SIZE)
    );
    let array = [
        Img::new(v4l2_ext_control::SIZE)
            .u32(0, sps_id)
            .u32(v4l2_ext_control::SIZE_, 1048)
            .u64(v4l2_ext_control::VALUE, 0x6000)
            .0,
        Img::new(v4l2_ext_control::SIZE)
            .u32(0, mode_id)
            .u32(v4l2_ext_control::VALUE, 1)
            .0,
    ]
    .concat();
    let creads = control_reads(ext_ctrls::VIDIOC_S_EXT_CTRLS, &array);
    assert_eq!(
        creads,
        vec![NestedRead {
            kind: PayloadKind::Control { index: 0 },
            addr: 0x6000,
            len: 1048,
            capture: Capture {
                before: true,
                after: false
            }
        }]
    );
    assert_eq!(
        control_reads(ext_ctrls::VIDIOC_G_EXT_CTRLS, &array)[0].capture,
        Capture {
            before: false,
            after: true
        }
    );
    assert!(control_reads(qbuf::VIDIOC_QBUF, &array).is_empty());

    let payloads = vec![
        Payload {
            kind: PayloadKind::ExtControls,
            addr: 0x5000,
            before: array.clone(),
            after: vec![],
        },
        Payload {
            kind: PayloadKind::Control { index: 0 },
            addr: 0x6000,
            before: vec![0; 1048],
            after: vec![],
        },
    ];
    let ioctl = Ioctl {
        request: ext_ctrls::VIDIOC_S_EXT_CTRLS,
        before: arg.clone(),
        payloads,
        ..Default::default()
    };
    let d = decode_ioctl(&ioctl);
    let Some(Ok(Arg::ExtControls(x))) = d.best() else {
        panic!("{d:?}")
    };
    assert!(x.is_request());
    assert_eq!(x.controls.len(), 2);
    assert_eq!(x.controls[0].name, Some("V4L2_CID_STATELESS_H264_SPS"));
    assert_eq!(x.controls[0].payload_len, Some(1048));
    assert!(x.controls[0].decoded.is_some());
    assert!(x.controls[1].decoded.is_some());
    let s = x.to_string();
    assert!(s.starts_with("{which=REQUEST_VAL, count=2, request_fd=12, controls=[{id=STATELESS_H264_SPS, size=1048, "), "{s}");
    assert!(s.contains("{id=STATELESS_H264_DECODE_MODE, value="), "{s}");
    // Without payloads: the pointer.
    let Arg::ExtControls(x) = decode(ext_ctrls::VIDIOC_S_EXT_CTRLS, &arg).unwrap() else {
        panic!()
    };
    assert_eq!(
        x.to_string(),
        "{which=REQUEST_VAL, count=2, request_fd=12, controls=0x5000}"
    );
    // A hostile count gives no more than MAX_CTRLS elements.
    let big = ext_ctrls_image(u32::MAX, 0x5000);
    assert_eq!(
        nested_reads(ext_ctrls::VIDIOC_S_EXT_CTRLS, &big, &[])[0].len,
        1024 * v4l2_ext_control::SIZE
    );
}

#[test]
fn queryctrl_menu_event() {
    let b = Img::new(v4l2_query_ext_ctrl::SIZE)
        .u32(
            v4l2_query_ext_ctrl::ID,
            crate::controls::ids::V4L2_CID_STATELESS_H264_SPS,
        )
        .u32(v4l2_query_ext_ctrl::TYPE, 0x200)
        .str(v4l2_query_ext_ctrl::NAME, "H264 Sequence Parameter Set")
        .u32(v4l2_query_ext_ctrl::FLAGS, 0x100)
        .u32(v4l2_query_ext_ctrl::ELEM_SIZE, 1048)
        .u32(v4l2_query_ext_ctrl::ELEMS, 1);
    let Arg::QueryCtrl(q) = decode(queryctrl::VIDIOC_QUERY_EXT_CTRL, &b.0).unwrap() else {
        panic!()
    };
    assert_eq!(q.elem_size, 1048);
    assert!(
        q.to_string().starts_with(
            "{id=STATELESS_H264_SPS, type=H264_SPS, name=\"H264 Sequence Parameter Set\""
        ),
        "{q}"
    );
    let b = Img::new(v4l2_queryctrl::SIZE)
        .u32(0, 0x8000_0000)
        .u32(v4l2_queryctrl::TYPE, 1)
        .i32(v4l2_queryctrl::MINIMUM, -5);
    let Arg::QueryCtrl(q) = decode(queryctrl::VIDIOC_QUERYCTRL, &b.0).unwrap() else {
        panic!()
    };
    assert_eq!(q.minimum, -5);
    assert!(
        q.to_string().starts_with("{id=0x0|NEXT_CTRL, type=INTEGER"),
        "{q}"
    );

    let b = Img::new(v4l2_querymenu::SIZE)
        .u32(0, 0x00a4_0ac8)
        .u32(4, 1)
        .str(8, "Frame-Based");
    let Arg::QueryMenu(m) = decode(queryctrl::VIDIOC_QUERYMENU, &b.0).unwrap() else {
        panic!()
    };
    assert!(
        m.to_string().ends_with("index=1, name=\"Frame-Based\"}"),
        "{m}"
    );

    let b = Img::new(v4l2_event_subscription::SIZE).u32(0, 5);
    let Arg::EventSubscription(s) = decode(event::VIDIOC_SUBSCRIBE_EVENT, &b.0).unwrap() else {
        panic!()
    };
    assert_eq!(s.to_string(), "{type=SOURCE_CHANGE}");
    let b = Img::new(v4l2_event::SIZE)
        .u32(0, 5)
        .u32(v4l2_event::U_SRC_CHANGE_CHANGES, 1)
        .u32(v4l2_event::SEQUENCE, 4);
    let Arg::Event(e) = decode(event::VIDIOC_DQEVENT, &b.0).unwrap() else {
        panic!()
    };
    assert_eq!(
        e.to_string(),
        "{type=SOURCE_CHANGE, changes=RESOLUTION, pending=0, sequence=4}"
    );
}

#[test]
fn create_remove_decoder_cmd_frmsize_selection() {
    let f = v4l2_create_buffers::FORMAT;
    let b = Img::new(v4l2_create_buffers::SIZE)
        .u32(v4l2_create_buffers::INDEX, 4)
        .u32(v4l2_create_buffers::COUNT, 4)
        .u32(v4l2_create_buffers::MEMORY, 1)
        .u32(f + v4l2_format::TYPE, 9)
        .u32(f + v4l2_format::FMT + v4l2_pix_format_mplane::WIDTH, 16)
        .u32(f + v4l2_format::FMT + v4l2_pix_format_mplane::HEIGHT, 16);
    let Arg::CreateBuffers(c) = decode(create_bufs::VIDIOC_CREATE_BUFS, &b.0).unwrap() else {
        panic!()
    };
    assert_eq!(c.format.size(), Some((16, 16)));
    assert!(c.to_string().starts_with("{index=4, count=4, memory=MMAP, format={type=VIDEO_CAPTURE_MPLANE, width=16, height=16"), "{c}");
    let b = Img::new(v4l2_remove_buffers::SIZE)
        .u32(0, 4)
        .u32(4, 4)
        .u32(8, 9);
    let Arg::RemoveBuffers(r) = decode(create_bufs::VIDIOC_REMOVE_BUFS, &b.0).unwrap() else {
        panic!()
    };
    assert_eq!(
        r.to_string(),
        "{index=4, count=4, type=VIDEO_CAPTURE_MPLANE}"
    );

    let b = Img::new(v4l2_decoder_cmd::SIZE).u32(0, 1).u32(4, 1);
    let Arg::DecoderCmd(d) = decode(decoder_cmd::VIDIOC_DECODER_CMD, &b.0).unwrap() else {
        panic!()
    };
    assert_eq!(d.to_string(), "{cmd=STOP, flags=0x1}");
    let b = Img::new(v4l2_decoder_cmd::SIZE).u32(0, 4);
    let Arg::DecoderCmd(d) = decode(decoder_cmd::VIDIOC_TRY_DECODER_CMD, &b.0).unwrap() else {
        panic!()
    };
    assert_eq!(d.to_string(), "{cmd=FLUSH}");

    let b = Img::new(v4l2_frmsizeenum::SIZE)
        .u32(v4l2_frmsizeenum::PIXEL_FORMAT, names::fourcc_code(b"S264"))
        .u32(v4l2_frmsizeenum::TYPE, 3)
        .u32(v4l2_frmsizeenum::STEPWISE, 64)
        .u32(v4l2_frmsizeenum::STEPWISE_MAX_WIDTH, 4096)
        .u32(v4l2_frmsizeenum::STEPWISE_STEP_WIDTH, 16)
        .u32(v4l2_frmsizeenum::STEPWISE_MIN_HEIGHT, 64)
        .u32(v4l2_frmsizeenum::STEPWISE_MAX_HEIGHT, 2304)
        .u32(v4l2_frmsizeenum::STEPWISE_STEP_HEIGHT, 16);
    let Arg::FrmSizeEnum(z) = decode(fmt::VIDIOC_ENUM_FRAMESIZES, &b.0).unwrap() else {
        panic!()
    };
    assert_eq!(
        z.to_string(),
        "{index=0, pixel_format=S264, type=STEPWISE, width=64..4096/16, height=64..2304/16}"
    );

    let b = Img::new(v4l2_selection::SIZE)
        .u32(0, 1)
        .u32(4, 0x100)
        .u32(v4l2_selection::R_WIDTH, 320)
        .u32(v4l2_selection::R_HEIGHT, 240);
    let Arg::Selection(s) = decode(misc::VIDIOC_G_SELECTION, &b.0).unwrap() else {
        panic!()
    };
    assert_eq!(
        s.to_string(),
        "{type=VIDEO_CAPTURE, target=COMPOSE, r=320x240@0,0}"
    );
}

#[test]
fn media_device_info_topology_and_request_alloc() {
    let b = Img::new(media_device_info::SIZE)
        .str(media_device_info::DRIVER, "visl")
        .str(media_device_info::MODEL, "visl")
        .str(media_device_info::BUS_INFO, "platform:visl")
        .u32(media_device_info::MEDIA_VERSION, 0x060c00)
        .u32(media_device_info::DRIVER_VERSION, 0x060c00);
    let Arg::MediaDeviceInfo(i) = decode(media::MEDIA_IOC_DEVICE_INFO, &b.0).unwrap() else {
        panic!()
    };
    let info: crate::record::MediaInfo = i.clone().into();
    assert_eq!(info.driver, "visl");
    assert_eq!(
        i.to_string(),
        "{driver=\"visl\", model=\"visl\", bus_info=\"platform:visl\", media_version=6.12.0, driver_version=6.12.0}"
    );

    let t = Img::new(media_v2_topology::SIZE)
        .u64(media_v2_topology::TOPOLOGY_VERSION, 5)
        .u32(media_v2_topology::NUM_ENTITIES, 2)
        .u64(media_v2_topology::PTR_ENTITIES, 0x1000)
        .u32(media_v2_topology::NUM_INTERFACES, 1)
        .u64(media_v2_topology::PTR_INTERFACES, 0x2000)
        .u32(media_v2_topology::NUM_PADS, 2)
        .u32(media_v2_topology::NUM_LINKS, 3);
    let reads = nested_reads(media::MEDIA_IOC_G_TOPOLOGY, &[], &t.0);
    assert_eq!(reads.len(), 2, "{reads:?}");
    assert_eq!(
        (reads[0].kind.clone(), reads[0].len),
        (PayloadKind::TopologyEntities, 2 * media_v2_entity::SIZE)
    );
    assert_eq!(
        (reads[1].kind.clone(), reads[1].len),
        (PayloadKind::TopologyInterfaces, media_v2_interface::SIZE)
    );
    assert!(!reads[0].capture.before && reads[0].capture.after);
    let entities = [
        Img::new(media_v2_entity::SIZE)
            .u32(0, 1)
            .str(media_v2_entity::NAME, "visl-source")
            .u32(media_v2_entity::FUNCTION, 0x10001)
            .0,
        Img::new(media_v2_entity::SIZE)
            .u32(0, 3)
            .str(media_v2_entity::NAME, "visl-proc")
            .u32(media_v2_entity::FUNCTION, 0x4008)
            .0,
    ]
    .concat();
    let intf = Img::new(media_v2_interface::SIZE)
        .u32(0, 12)
        .u32(media_v2_interface::INTF_TYPE, 0x200)
        .u32(media_v2_interface::DEVNODE, 81)
        .u32(media_v2_interface::DEVNODE + 4, 2)
        .0;
    let payloads = vec![
        Payload {
            kind: PayloadKind::TopologyEntities,
            addr: 0x1000,
            before: vec![],
            after: entities,
        },
        Payload {
            kind: PayloadKind::TopologyInterfaces,
            addr: 0x2000,
            before: vec![],
            after: intf,
        },
    ];
    let ioctl = Ioctl {
        request: media::MEDIA_IOC_G_TOPOLOGY,
        before: t.0.clone(),
        after: t.0.clone(),
        payloads,
        ..Default::default()
    };
    let Some(Ok(Arg::MediaTopology(topo))) = decode_ioctl(&ioctl).after else {
        panic!()
    };
    assert_eq!(
        topo.decoders().map(|e| e.name.as_str()).collect::<Vec<_>>(),
        ["visl-proc"]
    );
    assert_eq!(topo.video_nodes().collect::<Vec<_>>(), [(81, 2)]);
    assert_eq!(
        topo.to_string(),
        "{topology_version=5, entities=[{id=1, name=\"visl-source\", function=IO_V4L}, {id=3, name=\"visl-proc\", \
         function=PROC_VIDEO_DECODER}], interfaces=[{id=12, type=V4L_VIDEO, devnode=81:2}], num_pads=2, num_links=3}"
    );

    let d = decode_ioctl(&Ioctl {
        request: media::MEDIA_IOC_REQUEST_ALLOC,
        after: 12i32.to_le_bytes().to_vec(),
        ..Default::default()
    });
    assert_eq!(d.after, Some(Ok(Arg::Int(12))));
    assert_eq!(d.before, None);
    let d = decode_ioctl(&Ioctl {
        request: request::MEDIA_REQUEST_IOC_QUEUE,
        ..Default::default()
    });
    assert_eq!(d.before, Some(Ok(Arg::None)));
}

#[test]
fn dma_buf_sync_and_streamon() {
    let Arg::DmaBufSync(s) = decode(dma_buf::DMA_BUF_IOCTL_SYNC, &5u64.to_le_bytes()).unwrap()
    else {
        panic!()
    };
    assert!(!s.is_start());
    assert_eq!(s.to_string(), "{flags=END|READ}");
    let a = decode(streamon::VIDIOC_STREAMON, &10u32.to_le_bytes()).unwrap();
    assert_eq!(a.to_string(), "[VIDEO_OUTPUT_MPLANE]");
    assert_eq!(serde_json::to_string(&a).unwrap(), "{\"BufType\":10}");
}

#[test]
fn decoded_values_serialize_to_json() {
    let (buf, plane) = output_qbuf();
    let payloads = vec![Payload {
        kind: PayloadKind::Planes,
        addr: 0,
        before: plane,
        after: vec![],
    }];
    let arg = decode_with_payloads(qbuf::VIDIOC_QBUF, &buf, &payloads, Side::Before).unwrap();
    let v: serde_json::Value = serde_json::to_value(&arg).unwrap();
    assert_eq!(v["Buffer"]["type"], 10);
    assert_eq!(v["Buffer"]["request_fd"], 12);
    assert_eq!(v["Buffer"]["planes"][0]["bytesused"], 1234);
    assert_eq!(v["Buffer"]["m"]["Planes"], 0x7fff_0000u64);
}

#[test]
fn img_helpers_cover_u16() {
    let b = Img::new(4).u16(0, 0x0102);
    assert_eq!(b.0, [2, 1, 0, 0]);
}
