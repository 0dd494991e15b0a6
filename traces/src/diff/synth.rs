//! A synthetic H.264 decode of any length, generated one record at a time, for `vatrace diff`'s
//! tests and its throughput benchmark, shaped like GStreamer's `v4l2slh264dec` sample: set-up
//! (formats, buffers, decode mode, four request fds), then per frame two DMA_BUF_IOCTL_SYNC
//! around the bitstream write, S_EXT_CTRLS of PPS, DECODE_PARAMS (IDR every 30 frames, the two
//! previous frames in the DPB) and SLICE_PARAMS (and the SPS in the first frame) into a request,
//! QBUF OUTPUT with the frame's timestamp and its bitstream (`Blob`, `Bitstream`), QBUF CAPTURE,
//! QUEUE, a poll on the request, DQBUF both, REINIT: 13 records; then `End`.
//!
//! [`H264Synth::ts_base`] changes the client's timestamp numbering (references follow), and
//! [`H264Synth::tweak`] edits one frame's DECODE_PARAMS payload, to make two traces that differ
//! in exactly one known way.

use crate::controls::ids;
use crate::controls::wire::Wire;
use crate::controls::{H264DecodeParams, H264DpbEntry, H264Pps, H264SliceParams, H264Sps};
use crate::ioctl::layout::{v4l2_buffer as lb, v4l2_ext_control as le};
use crate::ioctl::{dma_buf, ext_ctrls, fmt, media, names, qbuf, reqbufs, request};
use crate::pool::synth::{v4l2_buffer, v4l2_ext_controls, v4l2_format, v4l2_requestbuffers, Synth};
use crate::record::{Bitstream, Blob, Header, Payload, PayloadKind, Record};

const PID: u32 = 77;
const VIDEO: i32 = 3;
const MEDIA: i32 = 4;
const REQ0: i32 = 10;
const DMABUF0: i32 = 20;
/// `DMA_BUF_SYNC_WRITE`.
const SYNC_WRITE: u64 = 2;
const SLOTS: u64 = 4;
const OUT_T: u32 = names::BUF_TYPE_VIDEO_OUTPUT_MPLANE;
const CAP_T: u32 = names::BUF_TYPE_VIDEO_CAPTURE_MPLANE;

/// An edit of one frame's DECODE_PARAMS bytes: `(frame, payload)`.
pub type Tweak = Box<dyn Fn(u64, &mut [u8])>;

/// The generator (an iterator of records).
pub struct H264Synth {
    pub frames: u64,
    pub width: u32,
    pub height: u32,
    /// Timestamp of frame 0 in µs; frame k carries `ts_base + k`.
    pub ts_base: u64,
    pub tweak: Option<Tweak>,
    s: Synth,
    frame: u64,
    queue: std::collections::VecDeque<Record>,
    stage: u8,
}

impl H264Synth {
    pub fn new(frames: u64, width: u32, height: u32) -> Self {
        H264Synth {
            frames,
            width,
            height,
            ts_base: 0,
            tweak: None,
            s: Synth::new(PID, 1_000_000),
            frame: 0,
            queue: Default::default(),
            stage: 0,
        }
    }

    /// A header for files written from this generator.
    pub fn header() -> Header {
        let mut h = Header::new();
        h.root_pid = PID;
        h.command = vec!["h264-synth".into()];
        h
    }

    fn setup(&mut self) {
        let s = &mut self.s;
        let f = v4l2_format(OUT_T, u32::from_le_bytes(*b"S264"), self.width, self.height);
        let r = s.ioctl(VIDEO, fmt::VIDIOC_S_FMT, f.clone(), f, 0);
        self.queue.push_back(r);
        let f = v4l2_format(CAP_T, u32::from_le_bytes(*b"NV12"), self.width, self.height);
        let r = s.ioctl(VIDEO, fmt::VIDIOC_G_FMT, f.clone(), f, 0);
        self.queue.push_back(r);
        for (t, n) in [(OUT_T, SLOTS as u32), (CAP_T, 8)] {
            let b = v4l2_requestbuffers(n, t, names::MEMORY_MMAP);
            let r = s.ioctl(VIDEO, reqbufs::VIDIOC_REQBUFS, b.clone(), b, 0);
            self.queue.push_back(r);
        }
        // DECODE_MODE = FRAME_BASED as a plain control.
        let mut el = vec![0u8; le::SIZE];
        el[le::ID..le::ID + 4]
            .copy_from_slice(&ids::V4L2_CID_STATELESS_H264_DECODE_MODE.to_le_bytes());
        el[le::VALUE..le::VALUE + 4].copy_from_slice(&1u32.to_le_bytes());
        let b = v4l2_ext_controls(0, 1, 0);
        let mut r = s.ioctl(VIDEO, ext_ctrls::VIDIOC_S_EXT_CTRLS, b.clone(), b, 0);
        if let Record::Ioctl(io) = &mut r {
            io.payloads.push(Payload {
                kind: PayloadKind::ExtControls,
                addr: 0x1000,
                before: el,
                after: Vec::new(),
            });
        }
        self.queue.push_back(r);
        for i in 0..SLOTS as i32 {
            let r = s.ioctl(
                MEDIA,
                media::MEDIA_IOC_REQUEST_ALLOC,
                Vec::new(),
                (REQ0 + i).to_le_bytes().to_vec(),
                0,
            );
            self.queue.push_back(r);
        }
    }

    fn ts_us(&self, frame: u64) -> u64 {
        self.ts_base + frame
    }

    fn controls(&self, k: u64) -> Vec<(u32, Vec<u8>)> {
        let since_idr = k % 30;
        let idr = since_idr == 0;
        let mut sps = vec![0u8; H264Sps::SIZE];
        put(&mut sps, &H264Sps::offsets(), "profile_idc", &[100]);
        put(&mut sps, &H264Sps::offsets(), "level_idc", &[30]);
        put(&mut sps, &H264Sps::offsets(), "max_num_ref_frames", &[2]);
        put(
            &mut sps,
            &H264Sps::offsets(),
            "pic_width_in_mbs_minus1",
            &((self.width / 16).saturating_sub(1) as u16).to_le_bytes(),
        );
        put(
            &mut sps,
            &H264Sps::offsets(),
            "pic_height_in_map_units_minus1",
            &((self.height / 16).saturating_sub(1) as u16).to_le_bytes(),
        );
        put(
            &mut sps,
            &H264Sps::offsets(),
            "flags",
            &0x10u32.to_le_bytes(),
        );
        let mut pps = vec![0u8; H264Pps::SIZE];
        put(
            &mut pps,
            &H264Pps::offsets(),
            "flags",
            &0x0001u16.to_le_bytes(),
        );
        let mut dec = vec![0u8; H264DecodeParams::SIZE];
        let d = H264DecodeParams::offsets();
        put(&mut dec, &d, "frame_num", &(since_idr as u16).to_le_bytes());
        put(&mut dec, &d, "nal_ref_idc", &1u16.to_le_bytes());
        let poc = (2 * since_idr) as i32;
        put(&mut dec, &d, "top_field_order_cnt", &poc.to_le_bytes());
        put(&mut dec, &d, "bottom_field_order_cnt", &poc.to_le_bytes());
        put(
            &mut dec,
            &d,
            "pic_order_cnt_lsb",
            &(poc as u16).to_le_bytes(),
        );
        put(
            &mut dec,
            &d,
            "dec_ref_pic_marking_bit_size",
            &2u32.to_le_bytes(),
        );
        put(&mut dec, &d, "pic_order_cnt_bit_size", &8u32.to_le_bytes());
        put(
            &mut dec,
            &d,
            "flags",
            &(if idr { 0x01u32 } else { 0x08 }).to_le_bytes(),
        );
        let e = H264DpbEntry::offsets();
        let refs = since_idr.min(2);
        for slot in 0..refs {
            let rk = k - 1 - slot;
            let base = slot as usize * H264DpbEntry::SIZE;
            let entry = &mut dec[base..base + H264DpbEntry::SIZE];
            put(
                entry,
                &e,
                "reference_ts",
                &(self.ts_us(rk) * 1000).to_le_bytes(),
            );
            put(entry, &e, "frame_num", &((rk % 30) as u16).to_le_bytes());
            put(entry, &e, "pic_num", &((rk % 30) as u32).to_le_bytes());
            put(entry, &e, "fields", &[3]);
            let rpoc = (2 * (rk % 30)) as i32;
            put(entry, &e, "top_field_order_cnt", &rpoc.to_le_bytes());
            put(entry, &e, "bottom_field_order_cnt", &rpoc.to_le_bytes());
            put(entry, &e, "flags", &0x03u32.to_le_bytes());
        }
        if let Some(t) = &self.tweak {
            t(k, &mut dec);
        }
        let mut sl = vec![0u8; H264SliceParams::SIZE];
        let o = H264SliceParams::offsets();
        put(&mut sl, &o, "slice_type", &[if idr { 2 } else { 0 }]);
        put(&mut sl, &o, "header_bit_size", &40u32.to_le_bytes());
        if refs > 0 {
            put(
                &mut sl,
                &o,
                "num_ref_idx_l0_active_minus1",
                &[(refs - 1) as u8],
            );
            let l0 = o.iter().find(|(n, _)| *n == "ref_pic_list0").unwrap().1;
            for i in 0..refs as usize {
                sl[l0 + 2 * i] = 3;
                sl[l0 + 2 * i + 1] = i as u8;
            }
        }
        let mut v = Vec::with_capacity(4);
        if k == 0 {
            v.push((ids::V4L2_CID_STATELESS_H264_SPS, sps));
        }
        v.extend([
            (ids::V4L2_CID_STATELESS_H264_PPS, pps),
            (ids::V4L2_CID_STATELESS_H264_DECODE_PARAMS, dec),
            (ids::V4L2_CID_STATELESS_H264_SLICE_PARAMS, sl),
        ]);
        v
    }

    fn frame_records(&mut self, k: u64) {
        let req = REQ0 + (k % SLOTS) as i32;
        let slot = (k % SLOTS) as u32;
        let cap = (k % 8) as u32;
        let ctrls = self.controls(k);
        let mut array = Vec::with_capacity(ctrls.len() * le::SIZE);
        let mut payloads = Vec::with_capacity(ctrls.len() + 1);
        for (i, (id, bytes)) in ctrls.iter().enumerate() {
            let mut el = [0u8; le::SIZE];
            el[le::ID..le::ID + 4].copy_from_slice(&id.to_le_bytes());
            el[le::SIZE_..le::SIZE_ + 4].copy_from_slice(&(bytes.len() as u32).to_le_bytes());
            el[le::VALUE..le::VALUE + 8].copy_from_slice(&(0x2000u64 + i as u64).to_le_bytes());
            array.extend_from_slice(&el);
        }
        payloads.push(Payload {
            kind: PayloadKind::ExtControls,
            addr: 0x1000,
            before: array,
            after: Vec::new(),
        });
        for (i, (_, bytes)) in ctrls.into_iter().enumerate() {
            payloads.push(Payload {
                kind: PayloadKind::Control { index: i as u32 },
                addr: 0x2000 + i as u64,
                before: bytes,
                after: Vec::new(),
            });
        }
        let s = &mut self.s;
        for flags in [SYNC_WRITE, dma_buf::SYNC_END | SYNC_WRITE] {
            let b = flags.to_le_bytes().to_vec();
            let r = s.ioctl(
                DMABUF0 + slot as i32,
                dma_buf::DMA_BUF_IOCTL_SYNC,
                b.clone(),
                b,
                0,
            );
            self.queue.push_back(r);
        }
        let b = v4l2_ext_controls(
            names::CTRL_WHICH_REQUEST_VAL,
            payloads.len() as u32 - 1,
            req,
        );
        let mut r = s.ioctl(VIDEO, ext_ctrls::VIDIOC_S_EXT_CTRLS, b.clone(), b, 0);
        if let Record::Ioctl(io) = &mut r {
            io.payloads = payloads;
        }
        self.queue.push_back(r);
        let mut out = v4l2_buffer(slot, OUT_T, names::BUF_FLAG_REQUEST_FD, req, 0);
        let us = self.ts_base + k;
        out[lb::TIMESTAMP..lb::TIMESTAMP + 8].copy_from_slice(&(us / 1_000_000).to_le_bytes());
        out[lb::TIMESTAMP_TV_USEC..lb::TIMESTAMP_TV_USEC + 8]
            .copy_from_slice(&(us % 1_000_000).to_le_bytes());
        let r = s.ioctl(VIDEO, qbuf::VIDIOC_QBUF, out.clone(), out, 0);
        let Record::Ioctl(q) = &r else { unreachable!() };
        let qseq = q.seq;
        self.queue.push_back(r);
        // The frame's bitstream: distinct bytes per frame, 1-2 KiB.
        let len = 1024 + (k * 37 % 1024) as usize;
        let mut x = k.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let data: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        self.queue.push_back(Record::Blob(Blob { id: k, data }));
        self.queue.push_back(Record::Bitstream(Bitstream {
            ioctl_seq: qseq,
            plane: 0,
            offset: 0,
            len: len as u64,
            blob: k,
        }));
        let c = v4l2_buffer(cap, CAP_T, 0, 0, 0);
        let r = s.ioctl(VIDEO, qbuf::VIDIOC_QBUF, c.clone(), c, 0);
        self.queue.push_back(r);
        let r = s.ioctl(
            req,
            request::MEDIA_REQUEST_IOC_QUEUE,
            Vec::new(),
            Vec::new(),
            0,
        );
        self.queue.push_back(r);
        for (t, i) in [(OUT_T, slot), (CAP_T, cap)] {
            let b = v4l2_buffer(i, t, 0, 0, 0);
            let r = s.ioctl(VIDEO, qbuf::VIDIOC_DQBUF, b.clone(), b, 0);
            self.queue.push_back(r);
        }
        let r = s.ioctl(
            req,
            request::MEDIA_REQUEST_IOC_REINIT,
            Vec::new(),
            Vec::new(),
            0,
        );
        self.queue.push_back(r);
    }
}

fn put(buf: &mut [u8], offsets: &[(&'static str, usize)], field: &str, bytes: &[u8]) {
    let off = offsets
        .iter()
        .find(|(n, _)| *n == field)
        .unwrap_or_else(|| panic!("no field {field}"))
        .1;
    buf[off..off + bytes.len()].copy_from_slice(bytes);
}

impl Iterator for H264Synth {
    type Item = Record;
    fn next(&mut self) -> Option<Record> {
        loop {
            if let Some(r) = self.queue.pop_front() {
                return Some(r);
            }
            match self.stage {
                0 => {
                    self.setup();
                    self.stage = 1;
                }
                1 if self.frame < self.frames => {
                    let k = self.frame;
                    self.frame += 1;
                    self.frame_records(k);
                }
                1 => {
                    self.stage = 2;
                    return Some(self.s.end());
                }
                _ => return None,
            }
        }
    }
}
