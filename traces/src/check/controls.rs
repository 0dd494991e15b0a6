//! Control rules, per codec, from the stateless codec uAPI
//! (`Documentation/userspace-api/media/v4l/ext-ctrls-codec-stateless.rst`) and the kernel's
//! validation of compound controls (`drivers/media/v4l2-core/v4l2-ctrls-core.c`,
//! `std_validate_compound`); and the hardware-profile rules that read formats and controls
//! (see [`super::profiles`]).
//!
//! * `control-missing` (error): a request queued while a control its codec requires was never
//!   set on the context (neither in this request nor before);
//! * `control-range` (error): a field outside the range the uAPI allows (the kernel answers
//!   EINVAL);
//! * `control-size` (error): the coded size a control states is larger than the CAPTURE format;
//! * `control-bits` (error): bit sizes longer than the slice data queued with them;
//! * `idr-pic-id-repeated` (warning): two consecutive H.264 IDR pictures with the same
//!   `idr_pic_id` (ITU-T H.264 7.4.3 forbids it: it is how decoders tell them apart).

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::decode::{self, pix};
use super::profiles::{self, Profile};
use super::{At, Facts, Severity, Sink};
use crate::controls::ids::*;
use crate::controls::{ControlValue, H264DecodeParams};
use crate::pool::state::Side;
use crate::pool::{CtxId, PoolModel, ReqId};
use crate::record::{Ioctl, Record};

const UAPI: &str = "Documentation/userspace-api/media/v4l/ext-ctrls-codec-stateless.rst";
const CORE: &str = "drivers/media/v4l2-core/v4l2-ctrls-core.c (std_validate_compound)";

/// The controls a codec needs before its first request can decode.
pub fn required(codec: u32, slice_based: bool) -> &'static [u32] {
    match codec {
        pix::H264_SLICE if slice_based => &[
            V4L2_CID_STATELESS_H264_SPS,
            V4L2_CID_STATELESS_H264_PPS,
            V4L2_CID_STATELESS_H264_DECODE_PARAMS,
            V4L2_CID_STATELESS_H264_SLICE_PARAMS,
        ],
        pix::H264_SLICE => &[
            V4L2_CID_STATELESS_H264_SPS,
            V4L2_CID_STATELESS_H264_PPS,
            V4L2_CID_STATELESS_H264_DECODE_PARAMS,
        ],
        pix::HEVC_SLICE if slice_based => &[
            V4L2_CID_STATELESS_HEVC_SPS,
            V4L2_CID_STATELESS_HEVC_PPS,
            V4L2_CID_STATELESS_HEVC_DECODE_PARAMS,
            V4L2_CID_STATELESS_HEVC_SLICE_PARAMS,
        ],
        pix::HEVC_SLICE => &[
            V4L2_CID_STATELESS_HEVC_SPS,
            V4L2_CID_STATELESS_HEVC_PPS,
            V4L2_CID_STATELESS_HEVC_DECODE_PARAMS,
        ],
        pix::MPEG2_SLICE => &[
            V4L2_CID_STATELESS_MPEG2_SEQUENCE,
            V4L2_CID_STATELESS_MPEG2_PICTURE,
        ],
        pix::VP8_FRAME => &[V4L2_CID_STATELESS_VP8_FRAME],
        pix::VP9_FRAME => &[V4L2_CID_STATELESS_VP9_FRAME],
        pix::AV1_FRAME => &[
            V4L2_CID_STATELESS_AV1_SEQUENCE,
            V4L2_CID_STATELESS_AV1_FRAME,
            V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY,
        ],
        pix::FWHT_STATELESS => &[V4L2_CID_STATELESS_FWHT_PARAMS],
        _ => &[],
    }
}

/// The few SPS facts later rules need.
#[derive(Debug, Clone, Copy)]
struct Sps {
    poc_type: u8,
}

/// The DECODE_PARAMS facts the bit-size rules need.
#[derive(Debug, Clone, Copy)]
struct Dec {
    dec_ref_pic_marking_bit_size: u32,
    pic_order_cnt_bit_size: u32,
    idr_pic_id: u16,
    idr: bool,
}

#[derive(Debug, Default)]
struct Ctx {
    /// Controls set on the context so far (applied requests and current values).
    set: HashSet<u32>,
    decode_mode: Option<i64>,
    sps: Option<Sps>,
    /// The last H.264 access unit queued: (OUTPUT timestamp, its DECODE_PARAMS).
    last_au: Option<(u64, Dec)>,
    /// Profile findings already made for this context (one per rule and value).
    told: HashSet<(&'static str, u64)>,
}

#[derive(Debug, Default)]
struct Req {
    ctx: Option<CtxId>,
    ids: Vec<u32>,
    dec: Option<Dec>,
    header_bits: Option<u32>,
    bytes: Option<u64>,
    ts: Option<u64>,
}

/// The control rules' state.
#[derive(Debug, Default)]
pub struct State {
    ctxs: HashMap<CtxId, Ctx>,
    reqs: HashMap<ReqId, Req>,
}

impl State {
    /// Entries kept (for [`super::Checker::in_flight`]).
    pub fn tracked(&self) -> usize {
        self.reqs.values().map(|r| 1 + r.ids.len()).sum::<usize>()
            + self.ctxs.values().map(|c| 1 + c.set.len()).sum::<usize>()
    }

    pub(super) fn before(
        &mut self,
        m: &PoolModel,
        profile: Option<Profile>,
        rec: &Record,
        fx: &Facts,
        at: &At,
        s: &mut Sink,
    ) {
        match rec {
            Record::Ioctl(io) => match io.request {
                decode::VIDIOC_S_EXT_CTRLS => self.s_ext_ctrls(m, profile, io, fx, at, s),
                decode::VIDIOC_STREAMON => {
                    if let Some(p) = profile {
                        self.streamon(m, p, io, fx, at, s);
                    }
                }
                decode::VIDIOC_QBUF if io.errno().is_none() => {
                    let Some(b) = fx.buf else {
                        return;
                    };
                    if b.flags & decode::BUF_FLAG_REQUEST_FD == 0
                        || Side::of(b.buf_type) != Side::Output
                    {
                        return;
                    }
                    if let Some(r) = fx.req(m) {
                        let q = self.reqs.entry(r.id).or_default();
                        q.bytes = Some(b.bytesused);
                        q.ts = Some(b.ts_ns());
                        q.ctx = fx.ctx(m).map(|c| c.id).or(q.ctx);
                    }
                }
                decode::MEDIA_REQUEST_IOC_QUEUE => self.queue(m, io, fx, at, s),
                decode::MEDIA_REQUEST_IOC_REINIT if io.errno().is_none() => {
                    if let Some(r) = fx.req(m) {
                        self.reqs.remove(&r.id);
                    }
                }
                _ => {}
            },
            Record::Close(c) => {
                if let Some(r) = m.request_by_fd(c.pid, c.fd) {
                    self.reqs.remove(&r.id);
                }
            }
            Record::Exit(e) if e.pid == e.tid => {
                self.ctxs.retain(|id, _| {
                    m.context(*id)
                        .is_some_and(|c| c.pid != e.pid && c.closed.is_none())
                });
                self.reqs
                    .retain(|id, _| m.request(*id).is_some_and(|r| r.pid != e.pid));
            }
            _ => {}
        }
    }

    /// At STREAMON (decoding starts; clients probe other formats with S_FMT before): the
    /// queue's format against the profile.
    fn streamon(
        &mut self,
        m: &PoolModel,
        p: Profile,
        io: &Ioctl,
        fx: &Facts,
        at: &At,
        s: &mut Sink,
    ) {
        let arg = if io.before.is_empty() {
            &io.after
        } else {
            &io.before
        };
        let Some(t) = arg
            .get(..4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        else {
            return;
        };
        let Some(c) = fx.ctx(m) else {
            return;
        };
        let Some(q) = c.queues.get(&t) else { return };
        let (w, h, fourcc) = (q.width, q.height, q.fourcc);
        if fourcc == 0 {
            return;
        }
        let x = self.ctxs.entry(c.id).or_default();
        match Side::of(t) {
            Side::Output => {
                let Some(coded) = p.coded().iter().find(|c| c.fourcc == fourcc) else {
                    if x.told.insert(("profile-codec", u64::from(fourcc))) {
                        s.push(
                            at,
                            Severity::Error,
                            "profile-codec",
                            None,
                            format!("{p} has no decoder for {} (OUTPUT format)", decode::fourcc(fourcc)),
                            format!(
                                "The {p} driver lists only {} as coded formats: S_FMT falls back to another codec.",
                                p.coded().iter().map(|c| decode::fourcc(c.fourcc)).collect::<Vec<_>>().join(", ")
                            ),
                            p.source(),
                        );
                    }
                    return;
                };
                if let Some((sev, why)) = profiles::size_problem(coded, w, h) {
                    if x.told
                        .insert(("profile-size", u64::from(w) << 32 | u64::from(h)))
                    {
                        s.push(
                            at,
                            sev,
                            "profile-size",
                            None,
                            format!("{p} {}: coded size {why}", decode::fourcc(fourcc)),
                            "The driver clamps the OUTPUT format to its limits: a stream outside them cannot be \
                             decoded by this hardware.",
                            p.source(),
                        );
                    }
                }
            }
            Side::Capture => {
                if !p.decoded().contains(&fourcc)
                    && x.told.insert(("profile-capture-format", u64::from(fourcc)))
                {
                    s.push(
                        at,
                        Severity::Warning,
                        "profile-capture-format",
                        None,
                        format!(
                            "{p} does not list {} as a decoded (CAPTURE) format",
                            decode::fourcc(fourcc)
                        ),
                        format!(
                            "It lists {}; S_FMT replaces others with its default.",
                            p.decoded()
                                .iter()
                                .map(|f| decode::fourcc(*f))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        p.source(),
                    );
                }
            }
            Side::Other => {}
        }
    }

    fn s_ext_ctrls(
        &mut self,
        m: &PoolModel,
        profile: Option<Profile>,
        io: &Ioctl,
        fx: &Facts,
        at: &At,
        s: &mut Sink,
    ) {
        let Some(c) = fx.ctx(m) else {
            return;
        };
        let Some(x) = fx.ctrls.as_ref() else {
            return;
        };
        let ok = io.errno().is_none();
        let cap = c
            .queue(Side::Capture)
            .filter(|q| q.width > 0 && q.height > 0)
            .map(|q| (q.width, q.height));
        let ctx = self.ctxs.entry(c.id).or_default();
        let request = x.which == decode::CTRL_WHICH_REQUEST_VAL;
        // The SPS of this call, else the context's.
        let mut sps = ctx.sps;
        for (id, v) in &x.controls {
            if let Some(ControlValue::H264Sps(sp)) = v {
                sps = Some(Sps {
                    poc_type: sp.pic_order_cnt_type,
                });
                if !request && ok {
                    ctx.sps = sps;
                }
            }
            if !request && ok {
                ctx.set.insert(*id);
                if *id == V4L2_CID_STATELESS_H264_DECODE_MODE {
                    ctx.decode_mode = value(v.as_ref());
                }
            }
        }
        for (id, v) in &x.controls {
            let Some(v) = v else { continue };
            range(v, at, s);
            if let Some((cw, chh)) = cap {
                size(v, cw, chh, at, s);
            }
            if let Some(p) = profile {
                profile_control(p, *id, v, sps, ctx, at, s);
            }
        }
        if !request || !ok {
            return;
        }
        let Some(r) = fx.req(m) else {
            return;
        };
        let q = self.reqs.entry(r.id).or_default();
        q.ctx = Some(c.id);
        for (id, v) in &x.controls {
            q.ids.push(*id);
            match v {
                Some(ControlValue::H264DecodeParams(d)) => q.dec = Some(dec_of(d)),
                Some(ControlValue::H264SliceParams(sl)) => q.header_bits = Some(sl.header_bit_size),
                _ => {}
            }
        }
    }

    fn queue(&mut self, m: &PoolModel, io: &Ioctl, fx: &Facts, at: &At, s: &mut Sink) {
        let Some(r) = fx.req(m) else {
            return;
        };
        let Some(q) = self.reqs.get(&r.id) else {
            return;
        };
        let Some(cid) = q.ctx else { return };
        let Some(c) = m.context(cid) else { return };
        let codec = c.queue(Side::Output).map_or(0, |o| o.fourcc);
        let ctx = self.ctxs.entry(cid).or_default();
        let slice_based = ctx.decode_mode == Some(profiles::H264_SLICE_BASED);
        let missing: Vec<&str> = required(codec, slice_based)
            .iter()
            .filter(|id| !ctx.set.contains(id) && !q.ids.contains(id))
            .map(|id| crate::controls::control_name(*id).unwrap_or("?"))
            .collect();
        if !missing.is_empty() {
            s.push(
                at,
                Severity::Error,
                "control-missing",
                None,
                format!(
                    "request fd {} queued for {} without {} (never set on this context)",
                    io.fd,
                    decode::fourcc(codec),
                    missing.join(", ")
                ),
                "Each codec's stateless controls describe the frame; one never set leaves the driver with its \
                 default (zeroes), which decodes garbage or is refused.",
                UAPI,
            );
        }
        let bits = q.bytes.map(|b| b.saturating_mul(8));
        if let (Some(h), Some(bits)) = (q.header_bits, bits) {
            if u64::from(h) > bits && bits > 0 {
                s.push(
                    at,
                    Severity::Error,
                    "control-bits",
                    None,
                    format!("SLICE_PARAMS.header_bit_size {h} is longer than the {bits} bits of slice data queued"),
                    "header_bit_size counts the slice header's bits inside the OUTPUT buffer: it cannot exceed \
                     the buffer's bytesused.",
                    UAPI,
                );
            }
        }
        if let Some(d) = q.dec {
            let longest = d.dec_ref_pic_marking_bit_size.max(d.pic_order_cnt_bit_size);
            let limit = q
                .header_bits
                .map(u64::from)
                .filter(|h| *h > 0)
                .or(bits.filter(|b| *b > 0));
            if let Some(limit) = limit {
                if u64::from(longest) > limit {
                    s.push(
                        at,
                        Severity::Error,
                        "control-bits",
                        None,
                        format!(
                            "DECODE_PARAMS bit sizes (dec_ref_pic_marking {}, pic_order_cnt {}) are longer than the \
                             {limit} bits of slice header or data",
                            d.dec_ref_pic_marking_bit_size, d.pic_order_cnt_bit_size
                        ),
                        "They count bits of the slice header, so each is at most its size.",
                        UAPI,
                    );
                }
            }
            if let Some(ts) = q.ts {
                if let Some((last_ts, last)) = ctx.last_au {
                    if ts != last_ts && d.idr && last.idr && d.idr_pic_id == last.idr_pic_id {
                        s.push(
                            at,
                            Severity::Warning,
                            "idr-pic-id-repeated",
                            None,
                            format!("two consecutive IDR pictures both carry idr_pic_id {}", d.idr_pic_id),
                            "ITU-T H.264 7.4.3: consecutive IDR access units must differ in idr_pic_id. The same \
                             value twice usually means the client never filled it in (hardware such as the Hantro \
                             G1 programs it into its registers).",
                            "ITU-T H.264 7.4.3; drivers/media/platform/verisilicon/hantro_g1_h264_dec.c",
                        );
                    }
                }
                ctx.last_au = Some((ts, d));
            }
        }
    }

    /// After a record: a request that was queued applies its controls to the context.
    pub(super) fn after(&mut self, m: &PoolModel, rec: &Record, fx: &Facts) {
        let Record::Ioctl(io) = rec else { return };
        if io.request != decode::MEDIA_REQUEST_IOC_QUEUE || io.errno().is_some() {
            return;
        }
        let Some(r) = fx.req(m) else {
            return;
        };
        let Some(q) = self.reqs.get(&r.id) else {
            return;
        };
        let Some(cid) = q.ctx else { return };
        let ids = q.ids.clone();
        self.ctxs.entry(cid).or_default().set.extend(ids);
    }
}

fn dec_of(d: &H264DecodeParams) -> Dec {
    Dec {
        dec_ref_pic_marking_bit_size: d.dec_ref_pic_marking_bit_size,
        pic_order_cnt_bit_size: d.pic_order_cnt_bit_size,
        idr_pic_id: d.idr_pic_id,
        idr: d.flags & 0x1 != 0,
    }
}

fn value(v: Option<&ControlValue>) -> Option<i64> {
    match v {
        Some(ControlValue::Integer(i)) => Some(*i),
        Some(ControlValue::Menu { value, .. }) => Some(*value),
        _ => None,
    }
}

fn out_of_range(at: &At, s: &mut Sink, control: &str, what: String) {
    s.push(
        at,
        Severity::Error,
        "control-range",
        None,
        format!("{control}: {what}"),
        "The uAPI bounds this field; the kernel refuses the control with EINVAL (or the hardware misreads it).",
        CORE,
    );
}

/// `control-range`: fields outside the uAPI's bounds.
fn range(v: &ControlValue, at: &At, s: &mut Sink) {
    let mut bad = Vec::new();
    let mut check = |name: &str, val: i64, lo: i64, hi: i64| {
        if val < lo || val > hi {
            bad.push(format!("{name} {val} (allowed {lo}..={hi})"));
        }
    };
    let control = match v {
        ControlValue::H264Sps(p) => {
            check("chroma_format_idc", p.chroma_format_idc.into(), 0, 3);
            check(
                "bit_depth_luma_minus8",
                p.bit_depth_luma_minus8.into(),
                0,
                6,
            );
            check(
                "bit_depth_chroma_minus8",
                p.bit_depth_chroma_minus8.into(),
                0,
                6,
            );
            check(
                "log2_max_frame_num_minus4",
                p.log2_max_frame_num_minus4.into(),
                0,
                12,
            );
            check("pic_order_cnt_type", p.pic_order_cnt_type.into(), 0, 2);
            check(
                "log2_max_pic_order_cnt_lsb_minus4",
                p.log2_max_pic_order_cnt_lsb_minus4.into(),
                0,
                12,
            );
            check("max_num_ref_frames", p.max_num_ref_frames.into(), 0, 16);
            "H264_SPS"
        }
        ControlValue::H264Pps(p) => {
            check(
                "num_slice_groups_minus1",
                p.num_slice_groups_minus1.into(),
                0,
                7,
            );
            check(
                "num_ref_idx_l0_default_active_minus1",
                p.num_ref_idx_l0_default_active_minus1.into(),
                0,
                31,
            );
            check(
                "num_ref_idx_l1_default_active_minus1",
                p.num_ref_idx_l1_default_active_minus1.into(),
                0,
                31,
            );
            check("weighted_bipred_idc", p.weighted_bipred_idc.into(), 0, 2);
            check("pic_init_qp_minus26", p.pic_init_qp_minus26.into(), -62, 25);
            check("pic_init_qs_minus26", p.pic_init_qs_minus26.into(), -26, 25);
            check(
                "chroma_qp_index_offset",
                p.chroma_qp_index_offset.into(),
                -12,
                12,
            );
            check(
                "second_chroma_qp_index_offset",
                p.second_chroma_qp_index_offset.into(),
                -12,
                12,
            );
            "H264_PPS"
        }
        ControlValue::H264SliceParams(p) => {
            check("slice_type", p.slice_type.into(), 0, 4);
            check("cabac_init_idc", p.cabac_init_idc.into(), 0, 2);
            check(
                "disable_deblocking_filter_idc",
                p.disable_deblocking_filter_idc.into(),
                0,
                2,
            );
            check(
                "num_ref_idx_l0_active_minus1",
                p.num_ref_idx_l0_active_minus1.into(),
                0,
                31,
            );
            check(
                "num_ref_idx_l1_active_minus1",
                p.num_ref_idx_l1_active_minus1.into(),
                0,
                31,
            );
            "H264_SLICE_PARAMS"
        }
        ControlValue::H264DecodeParams(p) => {
            check("nal_ref_idc", p.nal_ref_idc.into(), 0, 3);
            "H264_DECODE_PARAMS"
        }
        ControlValue::H264PredWeights(p) => {
            check(
                "luma_log2_weight_denom",
                p.luma_log2_weight_denom.into(),
                0,
                7,
            );
            check(
                "chroma_log2_weight_denom",
                p.chroma_log2_weight_denom.into(),
                0,
                7,
            );
            "H264_PRED_WEIGHTS"
        }
        ControlValue::Mpeg2Sequence(p) => {
            check("chroma_format", p.chroma_format.into(), 1, 3);
            "MPEG2_SEQUENCE"
        }
        ControlValue::Mpeg2Picture(p) => {
            check("picture_coding_type", p.picture_coding_type.into(), 1, 4);
            check("picture_structure", p.picture_structure.into(), 1, 3);
            check("intra_dc_precision", p.intra_dc_precision.into(), 0, 3);
            "MPEG2_PICTURE"
        }
        _ => return,
    };
    if !bad.is_empty() {
        out_of_range(at, s, control, bad.join(", "));
    }
}

/// `control-size`: a coded size larger than the CAPTURE format.
fn size(v: &ControlValue, cw: u32, ch: u32, at: &At, s: &mut Sink) {
    let (name, w, h) = match v {
        ControlValue::H264Sps(p) => ("H264_SPS", p.width(), p.height()),
        ControlValue::Mpeg2Sequence(p) => (
            "MPEG2_SEQUENCE",
            p.horizontal_size.into(),
            p.vertical_size.into(),
        ),
        ControlValue::Vp8Frame(p) => ("VP8_FRAME", p.width.into(), p.height.into()),
        ControlValue::HevcSps(p) => (
            "HEVC_SPS",
            p.pic_width_in_luma_samples.into(),
            p.pic_height_in_luma_samples.into(),
        ),
        _ => return,
    };
    // The CAPTURE format's size is the coded size, rounded up by the driver to its alignment.
    if w > cw.next_multiple_of(16) || h > ch.next_multiple_of(16) {
        s.push(
            at,
            Severity::Error,
            "control-size",
            None,
            format!("{name} codes {w}x{h} but the CAPTURE format is {cw}x{ch}"),
            "The decoded picture does not fit the CAPTURE buffers: set the OUTPUT format to the coded size (the \
             driver derives CAPTURE from it) and reallocate CAPTURE on a resolution change.",
            "Documentation/userspace-api/media/v4l/dev-stateless-decoder.rst (Initialization)",
        );
    }
}

/// The hardware-profile rules that read controls.
fn profile_control(
    p: Profile,
    id: u32,
    v: &ControlValue,
    sps: Option<Sps>,
    ctx: &mut Ctx,
    at: &At,
    s: &mut Sink,
) {
    if let (Some((modes, starts)), Some(val)) = (p.h264_modes(), value(Some(v))) {
        let (name, allowed) = match id {
            V4L2_CID_STATELESS_H264_DECODE_MODE => ("DECODE_MODE", modes),
            V4L2_CID_STATELESS_H264_START_CODE => ("START_CODE", starts),
            _ => ("", &[][..]),
        };
        if !name.is_empty()
            && !allowed.contains(&val)
            && ctx.told.insert(("profile-decode-mode", id as u64))
        {
            let label = |v: i64| match (name, v) {
                ("DECODE_MODE", 0) => "SLICE_BASED",
                ("DECODE_MODE", 1) => "FRAME_BASED",
                ("START_CODE", 0) => "NONE",
                ("START_CODE", 1) => "ANNEX_B",
                _ => "?",
            };
            s.push(
                at,
                Severity::Error,
                "profile-decode-mode",
                None,
                format!(
                    "H264 {name} {} is not one {p} takes (it takes {})",
                    label(val),
                    allowed.iter().map(|v| label(*v)).collect::<Vec<_>>().join(", ")
                ),
                "The driver's menu control excludes it: S_EXT_CTRLS fails, and a client that ignores the error \
                 sends bitstream the hardware parses wrongly.",
                p.source(),
            );
        }
    }
    match v {
        ControlValue::H264Sps(sp)
            if p.h264_420_8bit_only()
                && (sp.chroma_format_idc != 1
                    || sp.bit_depth_luma_minus8 != 0
                    || sp.bit_depth_chroma_minus8 != 0) =>
        {
            s.push(
                at,
                Severity::Error,
                "profile-sps",
                None,
                format!(
                    "H264 SPS chroma_format_idc {}, bit depth {}/{}: {p} decodes 4:2:0 8-bit only",
                    sp.chroma_format_idc,
                    u32::from(sp.bit_depth_luma_minus8) + 8,
                    u32::from(sp.bit_depth_chroma_minus8) + 8
                ),
                "The driver's try_ctrl refuses the SPS (EINVAL).",
                p.source(),
            );
        }
        ControlValue::H264DecodeParams(d) if p == Profile::HantroG1 => {
            let mut zero = Vec::new();
            if d.nal_ref_idc != 0 && d.dec_ref_pic_marking_bit_size == 0 {
                zero.push("dec_ref_pic_marking_bit_size (reference picture)");
            }
            if sps.is_some_and(|sp| sp.poc_type == 0) && d.pic_order_cnt_bit_size == 0 {
                zero.push("pic_order_cnt_bit_size (pic_order_cnt_type 0)");
            }
            if !zero.is_empty() {
                s.push(
                    at,
                    Severity::Error,
                    "profile-h264-bit-sizes",
                    None,
                    format!("H264 DECODE_PARAMS {} is 0: hantro-g1 needs it", zero.join(" and ")),
                    "The G1 skips these slice-header fields by the bit counts it is given (DEC_CTRL5 REFPIC_MK_LEN, \
                     DEC_CTRL6 POC_LENGTH, with idr_pic_id): zeroes make it parse the header wrong and write \
                     garbage or all-zero frames. VA-API does not carry them: parse the slice header.",
                    "drivers/media/platform/verisilicon/hantro_g1_h264_dec.c (set_params)",
                );
            }
        }
        ControlValue::H264SliceParams(sl) if p == Profile::Cedrus && sl.header_bit_size == 0 => {
            s.push(
                at,
                Severity::Error,
                "profile-slice-header",
                None,
                "H264 SLICE_PARAMS header_bit_size is 0: cedrus needs it".to_string(),
                "Cedrus skips header_bit_size bits of the slice to reach its data: zero makes it decode the header \
                 as data.",
                "drivers/staging/media/sunxi/cedrus/cedrus_h264.c (cedrus_skip_bits)",
            );
        }
        _ => {}
    }
}
