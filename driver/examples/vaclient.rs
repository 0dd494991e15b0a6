//! `vaclient`: a small VA-API client of the driver for the test-bed tests. It decodes an H.264
//! Annex-B clip of I and P frames (one reference, no B-frames, as `x264 -bf 0 -refs 1` makes)
//! through libva with the given driver, parsing the SPS/PPS/slice headers itself, and checks
//! what ffmpeg cannot show from outside:
//!
//! - `--probe`: before decoding, the mpv/libplacebo probe pattern (`shared/probe.rs`, shared
//!   with `vaprobe`, which runs it inside other clients): 4 small surfaces and a context, an
//!   image derived and mapped, a surface exported, all destroyed; the real decode then needs
//!   the decoder reconfigured (CAPTURE drained before REQBUFS(0)).
//! - `--loops N`: decodes the clip N times, printing the process's open fd count after each
//!   loop and after vaTerminate (leaks show up as growth).
//! - `--derive`: reads every frame back through vaDeriveImage + vaMapBuffer.
//!
//! Usage: `vaclient [--probe] [--derive] [--loops N] [--device /dev/dri/renderD128] CLIP`.
//! Prints `frames ok=N failed=M`, `fds ...` lines; exits non-zero on set-up failures.

use std::ffi::{c_int, c_uint, c_void};
use std::os::fd::AsRawFd;

use v4l2_request::h264::bits::BitReader;
use v4l2_request::h264::slice_header::{self, ParseParams};
use v4l2_request::va::{self, VAStatus};

#[path = "shared/libva.rs"]
mod libva;
#[path = "shared/probe.rs"]
mod probe;

use libva::*;

fn check(what: &str, st: VAStatus) {
    if st != 0 {
        eprintln!("vaclient: {what} failed: status {st:#x}");
        std::process::exit(2);
    }
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// NAL units of an Annex-B stream (without start codes).
fn nal_units(data: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut out = Vec::new();
    for (k, &s) in starts.iter().enumerate() {
        let mut e = starts.get(k + 1).map_or(data.len(), |&n| n - 3);
        while e > s && data[e - 1] == 0 {
            e -= 1;
        }
        out.push(&data[s..e]);
    }
    out
}

#[derive(Default, Clone, Copy)]
struct Sps {
    profile_idc: u32,
    chroma_format_idc: u32,
    log2_max_frame_num: u32,
    poc_type: u32,
    log2_max_poc_lsb: u32,
    delta_pic_order_always_zero: bool,
    num_ref_frames: u32,
    width_mbs: u32,
    height_map_units: u32,
    frame_mbs_only: bool,
    direct_8x8: bool,
}

#[derive(Default, Clone, Copy)]
struct Pps {
    entropy: bool,
    bottom_field_pic_order: bool,
    num_ref_idx_l0_default: u32,
    weighted_pred: bool,
    weighted_bipred_idc: u32,
    pic_init_qp_minus26: i32,
    chroma_qp_index_offset: i32,
    deblocking_present: bool,
    constrained_intra: bool,
    redundant_pic_cnt: bool,
    transform_8x8: bool,
    second_chroma_qp_index_offset: i32,
}

fn skip_scaling_list(r: &mut BitReader, size: usize) -> Option<()> {
    let (mut last, mut next) = (8i32, 8i32);
    for _ in 0..size {
        if next != 0 {
            next = (last + r.se().ok()? + 256) % 256;
        }
        last = if next == 0 { last } else { next };
    }
    Some(())
}

fn parse_sps(nal: &[u8]) -> Option<Sps> {
    let r = &mut BitReader::new(&nal[1..]);
    let mut s = Sps {
        chroma_format_idc: 1,
        ..Default::default()
    };
    s.profile_idc = r.bits(8).ok()?;
    r.bits(16).ok()?; // constraint flags, level
    r.ue().ok()?; // sps id
    if [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135].contains(&s.profile_idc) {
        s.chroma_format_idc = r.ue().ok()?;
        if s.chroma_format_idc == 3 {
            r.bit().ok()?;
        }
        r.ue().ok()?;
        r.ue().ok()?;
        r.bit().ok()?;
        if r.flag().ok()? {
            for i in 0..if s.chroma_format_idc == 3 { 12 } else { 8 } {
                if r.flag().ok()? {
                    skip_scaling_list(r, if i < 6 { 16 } else { 64 })?;
                }
            }
        }
    }
    s.log2_max_frame_num = r.ue().ok()? + 4;
    s.poc_type = r.ue().ok()?;
    if s.poc_type == 0 {
        s.log2_max_poc_lsb = r.ue().ok()? + 4;
    } else if s.poc_type == 1 {
        s.delta_pic_order_always_zero = r.flag().ok()?;
        r.se().ok()?;
        r.se().ok()?;
        for _ in 0..r.ue().ok()? {
            r.se().ok()?;
        }
    }
    s.num_ref_frames = r.ue().ok()?;
    r.bit().ok()?;
    s.width_mbs = r.ue().ok()? + 1;
    s.height_map_units = r.ue().ok()? + 1;
    s.frame_mbs_only = r.flag().ok()?;
    if !s.frame_mbs_only {
        r.bit().ok()?;
    }
    s.direct_8x8 = r.flag().ok()?;
    Some(s)
}

fn parse_pps(nal: &[u8]) -> Option<Pps> {
    let r = &mut BitReader::new(&nal[1..]);
    let mut p = Pps::default();
    r.ue().ok()?;
    r.ue().ok()?;
    p.entropy = r.flag().ok()?;
    p.bottom_field_pic_order = r.flag().ok()?;
    if r.ue().ok()? != 0 {
        return None; // slice groups
    }
    p.num_ref_idx_l0_default = r.ue().ok()?;
    r.ue().ok()?;
    p.weighted_pred = r.flag().ok()?;
    p.weighted_bipred_idc = r.bits(2).ok()?;
    p.pic_init_qp_minus26 = r.se().ok()?;
    r.se().ok()?;
    p.chroma_qp_index_offset = r.se().ok()?;
    p.deblocking_present = r.flag().ok()?;
    p.constrained_intra = r.flag().ok()?;
    p.redundant_pic_cnt = r.flag().ok()?;
    p.second_chroma_qp_index_offset = p.chroma_qp_index_offset;
    // more_rbsp_data(): transform_8x8_mode_flag etc. when present.
    if let Ok(t) = r.flag() {
        p.transform_8x8 = t;
        if let Ok(true) = r.flag() {
            for i in 0..if p.transform_8x8 { 8 } else { 6 } {
                if r.flag().ok()? {
                    skip_scaling_list(r, if i < 6 { 16 } else { 64 })?;
                }
            }
        }
        if let Ok(v) = r.se() {
            p.second_chroma_qp_index_offset = v;
        }
    }
    Some(p)
}

fn picture(id: va::VASurfaceID, frame_idx: u32, flags: u32, poc: i32) -> va::VAPictureH264 {
    va::VAPictureH264 {
        picture_id: id,
        frame_idx,
        flags,
        TopFieldOrderCnt: poc,
        BottomFieldOrderCnt: poc,
        va_reserved: [0; 4],
    }
}

const INVALID: u32 = 0x1;
const SHORT_TERM: u32 = 0x8;

struct Decoder {
    dpy: va::VADisplay,
    config: va::VAConfigID,
    context: va::VAContextID,
    surfaces: Vec<va::VASurfaceID>,
    derive: bool,
    ok: u64,
    failed: u64,
}

impl Decoder {
    fn buffer<T>(&self, type_: va::VABufferType, v: &mut T) -> va::VABufferID {
        let size = std::mem::size_of::<T>();
        let mut b = 0;
        // SAFETY: `v` points to `size` readable bytes the driver copies.
        check("vaCreateBuffer", unsafe {
            vaCreateBuffer(
                self.dpy,
                self.context,
                type_,
                size as c_uint,
                1,
                v as *mut T as *mut c_void,
                &mut b,
            )
        });
        b
    }

    /// Decodes one frame (its slices) into `target`, with `reference` as the only reference.
    fn frame(
        &mut self,
        sps: &Sps,
        pps: &Pps,
        slices: &[&[u8]],
        target: u32,
        reference: Option<(u32, u32, i32)>,
    ) {
        // SAFETY: all-zero VA parameter buffers are valid values.
        let mut pp: va::VAPictureParameterBufferH264 = unsafe { std::mem::zeroed() };
        let mut seq = va::_VAPictureParameterBufferH264__bindgen_ty_1__bindgen_ty_1::default();
        seq.set_chroma_format_idc(sps.chroma_format_idc);
        seq.set_frame_mbs_only_flag(sps.frame_mbs_only as u32);
        seq.set_direct_8x8_inference_flag(sps.direct_8x8 as u32);
        seq.set_log2_max_frame_num_minus4(sps.log2_max_frame_num - 4);
        seq.set_pic_order_cnt_type(sps.poc_type);
        seq.set_log2_max_pic_order_cnt_lsb_minus4(sps.log2_max_poc_lsb.saturating_sub(4));
        seq.set_delta_pic_order_always_zero_flag(sps.delta_pic_order_always_zero as u32);
        pp.seq_fields.bits = seq;
        let mut pf = va::_VAPictureParameterBufferH264__bindgen_ty_2__bindgen_ty_1::default();
        pf.set_entropy_coding_mode_flag(pps.entropy as u32);
        pf.set_weighted_pred_flag(pps.weighted_pred as u32);
        pf.set_weighted_bipred_idc(pps.weighted_bipred_idc);
        pf.set_transform_8x8_mode_flag(pps.transform_8x8 as u32);
        pf.set_constrained_intra_pred_flag(pps.constrained_intra as u32);
        pf.set_pic_order_present_flag(pps.bottom_field_pic_order as u32);
        pf.set_deblocking_filter_control_present_flag(pps.deblocking_present as u32);
        pf.set_redundant_pic_cnt_present_flag(pps.redundant_pic_cnt as u32);
        pf.set_reference_pic_flag(1);
        pp.pic_fields.bits = pf;
        pp.picture_width_in_mbs_minus1 = (sps.width_mbs - 1) as u16;
        pp.picture_height_in_mbs_minus1 =
            (sps.height_map_units * if sps.frame_mbs_only { 1 } else { 2 } - 1) as u16;
        pp.num_ref_frames = sps.num_ref_frames as u8;
        pp.pic_init_qp_minus26 = pps.pic_init_qp_minus26 as i8;
        pp.chroma_qp_index_offset = pps.chroma_qp_index_offset as i8;
        pp.second_chroma_qp_index_offset = pps.second_chroma_qp_index_offset as i8;
        pp.ReferenceFrames = [picture(va::VA_INVALID_SURFACE, 0, INVALID, 0); 16];
        let params = ParseParams {
            separate_colour_plane: false,
            chroma_format_idc: sps.chroma_format_idc,
            log2_max_frame_num: sps.log2_max_frame_num,
            frame_mbs_only: sps.frame_mbs_only,
            pic_order_cnt_type: sps.poc_type,
            log2_max_pic_order_cnt_lsb: sps.log2_max_poc_lsb,
            delta_pic_order_always_zero: sps.delta_pic_order_always_zero,
            bottom_field_pic_order_in_frame_present: pps.bottom_field_pic_order,
            redundant_pic_cnt_present: pps.redundant_pic_cnt,
            weighted_pred: pps.weighted_pred,
            weighted_bipred_idc: pps.weighted_bipred_idc,
            entropy_coding_mode: pps.entropy,
            deblocking_filter_control_present: pps.deblocking_present,
            num_ref_idx_l0_active_minus1: pps.num_ref_idx_l0_default,
            num_ref_idx_l1_active_minus1: 0,
        };
        let Ok(h0) = slice_header::parse(slices[0], &params) else {
            self.failed += 1;
            return;
        };
        let poc = h0.pic_order_cnt_lsb as i32;
        pp.frame_num = h0.frame_num as u16;
        pp.CurrPic = picture(target, h0.frame_num, 0, poc);
        if let (Some((surface, frame_num, rpoc)), false) = (reference, h0.is_idr()) {
            pp.ReferenceFrames[0] = picture(surface, frame_num, SHORT_TERM, rpoc);
        }
        // SAFETY: all-ones IQ matrix of 16s = flat.
        let mut iq: va::VAIQMatrixBufferH264 = unsafe { std::mem::zeroed() };
        iq.ScalingList4x4 = [[16; 16]; 6];
        iq.ScalingList8x8 = [[16; 64]; 2];

        let mut bufs = vec![
            self.buffer(va::VAPictureParameterBufferType, &mut pp),
            self.buffer(va::VAIQMatrixBufferType, &mut iq),
        ];
        for nal in slices {
            let h = slice_header::parse(nal, &params).unwrap_or(h0);
            // SAFETY: an all-zero slice parameter buffer is a valid value.
            let mut sp: va::VASliceParameterBufferH264 = unsafe { std::mem::zeroed() };
            sp.slice_data_size = nal.len() as u32;
            sp.slice_data_flag = va::VA_SLICE_DATA_FLAG_ALL;
            sp.first_mb_in_slice = h.first_mb_in_slice as u16;
            sp.slice_type = h.slice_type as u8;
            sp.num_ref_idx_l0_active_minus1 = h.num_ref_idx_l0_active_minus1 as u8;
            sp.cabac_init_idc = h.cabac_init_idc as u8;
            sp.slice_qp_delta = h.slice_qp_delta as i8;
            sp.disable_deblocking_filter_idc = h.disable_deblocking_filter_idc as u8;
            sp.slice_alpha_c0_offset_div2 = h.slice_alpha_c0_offset_div2 as i8;
            sp.slice_beta_offset_div2 = h.slice_beta_offset_div2 as i8;
            sp.RefPicList0 = [picture(va::VA_INVALID_SURFACE, 0, INVALID, 0); 32];
            sp.RefPicList1 = [picture(va::VA_INVALID_SURFACE, 0, INVALID, 0); 32];
            if h.slice_type % 5 == 0 {
                sp.RefPicList0[0] = pp.ReferenceFrames[0];
            }
            bufs.push(self.buffer(va::VASliceParameterBufferType, &mut sp));
            let mut data = nal.to_vec();
            let mut b = 0;
            // SAFETY: `data` holds `len` readable bytes.
            check("vaCreateBuffer", unsafe {
                vaCreateBuffer(
                    self.dpy,
                    self.context,
                    va::VASliceDataBufferType,
                    data.len() as c_uint,
                    1,
                    data.as_mut_ptr() as *mut c_void,
                    &mut b,
                )
            });
            bufs.push(b);
        }
        // SAFETY: plain libva calls on live objects.
        let ok = unsafe {
            vaBeginPicture(self.dpy, self.context, target) == 0
                && vaRenderPicture(
                    self.dpy,
                    self.context,
                    bufs.as_mut_ptr(),
                    bufs.len() as c_int,
                ) == 0
                && vaEndPicture(self.dpy, self.context) == 0
                && vaSyncSurface(self.dpy, target) == 0
        };
        for b in bufs {
            // SAFETY: buffers created above.
            unsafe { vaDestroyBuffer(self.dpy, b) };
        }
        if ok && self.derive {
            self.read_back(target);
        }
        if ok {
            self.ok += 1;
        } else {
            self.failed += 1;
        }
    }

    fn read_back(&mut self, surface: u32) {
        // SAFETY: plain libva calls; the mapping is read within the image's data size.
        unsafe {
            let mut img: va::VAImage = std::mem::zeroed();
            if vaDeriveImage(self.dpy, surface, &mut img) != 0 {
                self.failed += 1;
                return;
            }
            let mut p: *mut c_void = std::ptr::null_mut();
            if vaMapBuffer(self.dpy, img.buf, &mut p) == 0 {
                let data = std::slice::from_raw_parts(p as *const u8, img.data_size as usize);
                std::hint::black_box(data.iter().map(|&b| b as u64).sum::<u64>());
                vaUnmapBuffer(self.dpy, img.buf);
            }
            vaDestroyImage(self.dpy, img.image_id);
        }
    }
}

fn main() {
    let mut probe = false;
    let mut derive = false;
    let mut loops = 1;
    let mut device = "/dev/dri/renderD128".to_string();
    let mut clip = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--probe" => probe = true,
            "--derive" => derive = true,
            "--loops" => loops = args.next().and_then(|n| n.parse().ok()).unwrap_or(1),
            "--device" => device = args.next().unwrap_or(device),
            _ => clip = Some(a),
        }
    }
    let Some(clip) = clip else {
        eprintln!("usage: vaclient [--probe] [--derive] [--loops N] [--device PATH] CLIP");
        std::process::exit(2);
    };
    let data = std::fs::read(&clip).expect("reading the clip");
    let nals = nal_units(&data);
    let sps = nals
        .iter()
        .find(|n| n[0] & 0x1f == 7)
        .and_then(|n| parse_sps(n))
        .expect("SPS");
    let pps = nals
        .iter()
        .find(|n| n[0] & 0x1f == 8)
        .and_then(|n| parse_pps(n))
        .expect("PPS");
    let (w, h) = (
        sps.width_mbs * 16,
        sps.height_map_units * 16 * if sps.frame_mbs_only { 1 } else { 2 },
    );

    let drm = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&device)
        .expect("opening the DRM device");
    let fds_start = open_fds();
    // SAFETY: libva client calls with valid out-pointers.
    let (dpy, config) = unsafe {
        let dpy = vaGetDisplayDRM(drm.as_raw_fd());
        let (mut major, mut minor) = (0, 0);
        check("vaInitialize", vaInitialize(dpy, &mut major, &mut minor));
        let mut config = 0;
        check(
            "vaCreateConfig",
            vaCreateConfig(
                dpy,
                va::VAProfileH264High,
                va::VAEntrypointVLD,
                std::ptr::null_mut(),
                0,
                &mut config,
            ),
        );
        (dpy, config)
    };
    println!("fds after vaInitialize {}", open_fds());

    if probe {
        // SAFETY: `dpy` was initialised above.
        match unsafe { probe::run(dpy, va::VAProfileH264High) } {
            Ok(line) => println!("probe {line}"),
            Err(e) => {
                eprintln!("vaclient: {e}");
                std::process::exit(2);
            }
        }
        println!("probe done");
    }

    let mut dec = Decoder {
        dpy,
        config,
        context: 0,
        surfaces: vec![0; 8],
        derive,
        ok: 0,
        failed: 0,
    };
    // SAFETY: libva client calls with valid out-pointers.
    unsafe {
        check(
            "vaCreateSurfaces",
            vaCreateSurfaces(
                dpy,
                va::VA_RT_FORMAT_YUV420,
                w,
                h,
                dec.surfaces.as_mut_ptr(),
                8,
                std::ptr::null_mut(),
                0,
            ),
        );
        check(
            "vaCreateContext",
            vaCreateContext(
                dpy,
                config,
                w as c_int,
                h as c_int,
                0,
                dec.surfaces.as_mut_ptr(),
                8,
                &mut dec.context,
            ),
        );
    }
    for l in 0..loops {
        let mut frame = 0usize;
        let mut reference = None;
        let mut i = 0;
        while i < nals.len() {
            let t = nals[i][0] & 0x1f;
            if t != 1 && t != 5 {
                i += 1;
                continue;
            }
            // The frame's slices: this one and the following ones not starting a new picture.
            let mut j = i + 1;
            while j < nals.len()
                && matches!(nals[j][0] & 0x1f, 1 | 5)
                && BitReader::new(&nals[j][1..]).ue() != Ok(0)
            {
                j += 1;
            }
            let target = dec.surfaces[frame % dec.surfaces.len()];
            let slices: Vec<&[u8]> = nals[i..j].to_vec();
            dec.frame(&sps, &pps, &slices, target, reference);
            let params = ParseParams {
                chroma_format_idc: sps.chroma_format_idc,
                log2_max_frame_num: sps.log2_max_frame_num,
                frame_mbs_only: sps.frame_mbs_only,
                pic_order_cnt_type: sps.poc_type,
                log2_max_pic_order_cnt_lsb: sps.log2_max_poc_lsb,
                ..Default::default()
            };
            let h0 = slice_header::parse(slices[0], &params).unwrap_or_default();
            reference = Some((target, h0.frame_num, h0.pic_order_cnt_lsb as i32));
            frame += 1;
            i = j;
        }
        println!(
            "loop {l}: frames ok={} failed={} fds {}",
            dec.ok,
            dec.failed,
            open_fds()
        );
    }
    // SAFETY: destroying what was created above.
    unsafe {
        vaDestroyContext(dpy, dec.context);
        vaDestroySurfaces(dpy, dec.surfaces.as_mut_ptr(), dec.surfaces.len() as c_int);
        vaDestroyConfig(dpy, dec.config);
        check("vaTerminate", vaTerminate(dpy));
    }
    println!("frames ok={} failed={}", dec.ok, dec.failed);
    println!("fds start {} end {}", fds_start, open_fds());
}
