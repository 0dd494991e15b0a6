//! A long synthetic decode for measuring the checks (`benches/check.rs`) and for showing that
//! their memory stays bounded: one H.264 context with 4 request slots and 4 mapped CAPTURE
//! buffers, then frames generated one at a time (never the whole trace in memory), each with
//! real-sized SPS, PPS and DECODE_PARAMS payloads, QBUF of both buffers, QUEUE, poll, DQBUF of
//! both, REINIT.

use crate::controls::ids::{
    V4L2_CID_STATELESS_H264_DECODE_PARAMS, V4L2_CID_STATELESS_H264_PPS, V4L2_CID_STATELESS_H264_SPS,
};
use crate::controls::wire::Wire;
use crate::controls::{H264DecodeParams, H264Pps, H264Sps};
use crate::ioctl::layout::v4l2_ext_control as ec;
use crate::pool::synth::{self, Synth};
use crate::record::{Header, Payload, PayloadKind, Record};

/// The pool model's sample decoder ([`crate::pool::synth::sample`]): request fd of slot `i` is
/// `REQ0 + i`.
pub use crate::pool::synth::sample::{
    CAPTURE_BUFS as CAPS, MEDIA_FD as MEDIA, PID, REQ_FD0 as REQ0, SLOTS, VIDEO_FD as VIDEO,
};

/// S_EXT_CTRLS into request `req` with SPS, PPS and DECODE_PARAMS payloads.
pub fn controls(s: &mut Synth, req: i32) -> Record {
    let mut r = s.s_ext_ctrls(VIDEO, req, 3, 0);
    if let Record::Ioctl(io) = &mut r {
        let ids = [
            (V4L2_CID_STATELESS_H264_SPS, H264Sps::SIZE),
            (V4L2_CID_STATELESS_H264_PPS, H264Pps::SIZE),
            (
                V4L2_CID_STATELESS_H264_DECODE_PARAMS,
                H264DecodeParams::SIZE,
            ),
        ];
        let mut array = vec![0u8; ec::SIZE * ids.len()];
        for (i, (id, size)) in ids.iter().enumerate() {
            let e = &mut array[i * ec::SIZE..(i + 1) * ec::SIZE];
            e[ec::ID..ec::ID + 4].copy_from_slice(&id.to_le_bytes());
            e[ec::SIZE_..ec::SIZE_ + 4].copy_from_slice(&(*size as u32).to_le_bytes());
            e[ec::VALUE..ec::VALUE + 8]
                .copy_from_slice(&(0x7f00_0000u64 + i as u64 * 0x1000).to_le_bytes());
            let mut bytes = vec![0u8; *size];
            if *id == V4L2_CID_STATELESS_H264_SPS {
                bytes[4] = 1; // chroma_format_idc 4:2:0
            }
            io.payloads.push(Payload {
                kind: PayloadKind::Control { index: i as u32 },
                addr: 0x7f00_0000 + i as u64 * 0x1000,
                before: bytes,
                after: Vec::new(),
            });
        }
        io.payloads.insert(
            0,
            Payload {
                kind: PayloadKind::ExtControls,
                addr: 0x7e00_0000,
                before: array,
                after: Vec::new(),
            },
        );
    }
    r
}

/// Opens the nodes, sets H.264 128x128 formats, allocates and maps 4 CAPTURE buffers, allocates
/// the 4 requests and starts streaming (the pool model's sample set-up, without the export).
pub fn setup(s: &mut Synth) -> Vec<Record> {
    let mut setup = synth::sample_buffers(s, 0x7f10_0000_0000);
    setup.extend(synth::sample_start(s));
    setup
}

/// Frame `n` decoded on slot `n % 4` into CAPTURE buffer `n % 4`, its request REINIT'd.
pub fn frame(s: &mut Synth, n: u64) -> Vec<Record> {
    let slot = (n % u64::from(SLOTS)) as u32;
    let cap = (n % u64::from(CAPS)) as u32;
    let req = REQ0 + slot as i32;
    let mut rs = vec![controls(s, req)];
    rs.extend(
        synth::decode_frame(s, VIDEO, req, slot, cap)
            .into_iter()
            .skip(1),
    );
    rs
}

/// The header and records of a decode of `frames` frames, generated as they are read.
pub fn decode_stream(frames: u64) -> (Header, impl Iterator<Item = Record>) {
    let mut s = Synth::new(PID, 1_000_000_000);
    let setup = setup(&mut s);
    let frames_iter = (0..frames).flat_map(move |n| frame(&mut s, n));
    (synth::sample_header(), setup.into_iter().chain(frames_iter))
}
