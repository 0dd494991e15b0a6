//! VA's AV1 picture parameters → V4L2's `v4l2_ctrl_av1_sequence`, `v4l2_ctrl_av1_frame` and
//! `v4l2_ctrl_av1_film_grain`. Pure functions, unit-tested on the host. VA hands neither the
//! sequence header nor the frame header (only tile data), so what VA-API lacks is derived as
//! the AV1 specification derives it (tile starts, skip-mode frames, loop-restoration sizes,
//! segmentation's last active id) or, where it cannot be, set as the README's AV1 section
//! says.

use v4l2r::bindings as v4l2;

use crate::va;

type Pic = va::VADecPictureParameterBufferAV1;

/// The bit-field views of VA's unions.
pub struct Fields {
    pub seq: va::_VADecPictureParameterBufferAV1__bindgen_ty_1__bindgen_ty_1,
    pub pic: va::_VADecPictureParameterBufferAV1__bindgen_ty_2__bindgen_ty_1,
    pub lf: va::_VADecPictureParameterBufferAV1__bindgen_ty_3__bindgen_ty_1,
    pub qm: va::_VADecPictureParameterBufferAV1__bindgen_ty_4__bindgen_ty_1,
    pub mode: va::_VADecPictureParameterBufferAV1__bindgen_ty_5__bindgen_ty_1,
    pub lr: va::_VADecPictureParameterBufferAV1__bindgen_ty_6__bindgen_ty_1,
    pub seg: va::_VASegmentationStructAV1__bindgen_ty_1__bindgen_ty_1,
    pub grain: va::_VAFilmGrainStructAV1__bindgen_ty_1__bindgen_ty_1,
}

pub fn fields(p: &Pic) -> Fields {
    // SAFETY: every union member is a plain integer bit-field of the union's size: any bit
    // pattern is a valid value of each.
    unsafe {
        Fields {
            seq: p.seq_info_fields.fields,
            pic: p.pic_info_fields.bits,
            lf: p.loop_filter_info_fields.bits,
            qm: p.qmatrix_fields.bits,
            mode: p.mode_control_fields.bits,
            lr: p.loop_restoration_fields.bits,
            seg: p.seg_info.segment_info_fields.bits,
            grain: p.film_grain_info.film_grain_info_fields.bits,
        }
    }
}

fn bits(pairs: &[(u32, u32)]) -> u32 {
    pairs
        .iter()
        .filter(|(_, on)| *on != 0)
        .fold(0, |f, (b, _)| f | b)
}

/// Frame types with no inter prediction (KEY_FRAME, INTRA_ONLY_FRAME).
pub fn is_intra(frame_type: u32) -> bool {
    frame_type == v4l2::v4l2_av1_frame_type_V4L2_AV1_KEY_FRAME
        || frame_type == v4l2::v4l2_av1_frame_type_V4L2_AV1_INTRA_ONLY_FRAME
}

/// SEQUENCE. `max_size`: the largest frame size seen in the sequence (VA-API has no
/// `max_frame_width/height`); the flags VA-API lacks are as the README says.
pub fn sequence(p: &Pic, f: &Fields, max_size: (u32, u32)) -> v4l2::v4l2_ctrl_av1_sequence {
    let s = &f.seq;
    let mut q: v4l2::v4l2_ctrl_av1_sequence = crate::ioctl::zeroed();
    q.flags = bits(&[
        (
            v4l2::V4L2_AV1_SEQUENCE_FLAG_STILL_PICTURE,
            s.still_picture(),
        ),
        (
            v4l2::V4L2_AV1_SEQUENCE_FLAG_USE_128X128_SUPERBLOCK,
            s.use_128x128_superblock(),
        ),
        (
            v4l2::V4L2_AV1_SEQUENCE_FLAG_ENABLE_FILTER_INTRA,
            s.enable_filter_intra(),
        ),
        (
            v4l2::V4L2_AV1_SEQUENCE_FLAG_ENABLE_INTRA_EDGE_FILTER,
            s.enable_intra_edge_filter(),
        ),
        (
            v4l2::V4L2_AV1_SEQUENCE_FLAG_ENABLE_INTERINTRA_COMPOUND,
            s.enable_interintra_compound(),
        ),
        (
            v4l2::V4L2_AV1_SEQUENCE_FLAG_ENABLE_MASKED_COMPOUND,
            s.enable_masked_compound(),
        ),
        // Not in VA-API (nor the three below): warped motion allowed (the frame-level flag
        // gates its use).
        (v4l2::V4L2_AV1_SEQUENCE_FLAG_ENABLE_WARPED_MOTION, 1),
        (
            v4l2::V4L2_AV1_SEQUENCE_FLAG_ENABLE_DUAL_FILTER,
            s.enable_dual_filter(),
        ),
        (
            v4l2::V4L2_AV1_SEQUENCE_FLAG_ENABLE_ORDER_HINT,
            s.enable_order_hint(),
        ),
        (
            v4l2::V4L2_AV1_SEQUENCE_FLAG_ENABLE_JNT_COMP,
            s.enable_jnt_comp(),
        ),
        // Possible whenever order hints are (the frame's USE_REF_FRAME_MVS gates its use).
        (
            v4l2::V4L2_AV1_SEQUENCE_FLAG_ENABLE_REF_FRAME_MVS,
            s.enable_order_hint(),
        ),
        // Superres and loop restoration: set when this frame uses them.
        (
            v4l2::V4L2_AV1_SEQUENCE_FLAG_ENABLE_SUPERRES,
            f.pic.use_superres(),
        ),
        (v4l2::V4L2_AV1_SEQUENCE_FLAG_ENABLE_CDEF, s.enable_cdef()),
        (
            v4l2::V4L2_AV1_SEQUENCE_FLAG_ENABLE_RESTORATION,
            u32::from(
                f.lr.yframe_restoration_type() != 0
                    || f.lr.cbframe_restoration_type() != 0
                    || f.lr.crframe_restoration_type() != 0,
            ),
        ),
        (v4l2::V4L2_AV1_SEQUENCE_FLAG_MONO_CHROME, s.mono_chrome()),
        (v4l2::V4L2_AV1_SEQUENCE_FLAG_COLOR_RANGE, s.color_range()),
        (
            v4l2::V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_X,
            s.subsampling_x(),
        ),
        (
            v4l2::V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_Y,
            s.subsampling_y(),
        ),
        (
            v4l2::V4L2_AV1_SEQUENCE_FLAG_FILM_GRAIN_PARAMS_PRESENT,
            s.film_grain_params_present(),
        ),
        (
            v4l2::V4L2_AV1_SEQUENCE_FLAG_SEPARATE_UV_DELTA_Q,
            u32::from(separate_uv(p)),
        ),
    ]);
    q.seq_profile = p.profile;
    q.order_hint_bits = if s.enable_order_hint() != 0 {
        p.order_hint_bits_minus_1 + 1
    } else {
        0
    };
    q.bit_depth = match p.bit_depth_idx {
        1 => 10,
        2 => 12,
        _ => 8,
    };
    q.max_frame_width_minus_1 = max_size.0.saturating_sub(1) as u16;
    q.max_frame_height_minus_1 = max_size.1.saturating_sub(1) as u16;
    q
}

/// `diff_uv_delta` (and the sequence's `separate_uv_delta_q`), which VA-API lacks: set when
/// the V deltas differ from the U ones (the only case where it matters).
fn separate_uv(p: &Pic) -> bool {
    p.u_dc_delta_q != p.v_dc_delta_q || p.u_ac_delta_q != p.v_ac_delta_q
}

/// The spec's `get_relative_dist` for `bits` order-hint bits (0 = order hints disabled).
pub fn relative_dist(a: u32, b: u32, bits: u8) -> i32 {
    if bits == 0 {
        return 0;
    }
    let diff = a.wrapping_sub(b) as i32;
    let m = 1i32 << (bits - 1);
    (diff & (m - 1)) - (diff & m)
}

/// The spec's skip_mode_params (5.9.22): `Some(SkipModeFrame)` when skip mode is allowed, from
/// the current order hint and those of the seven references (`ref_hints[i]` for LAST + i).
pub fn skip_mode_frames(order_hint: u32, ref_hints: [u32; 7], bits: u8) -> Option<[u8; 2]> {
    let d = |a, b| relative_dist(a, b, bits);
    // (index, order hint) of the nearest forward and backward references.
    let mut fwd: Option<(usize, u32)> = None;
    let mut bwd: Option<(usize, u32)> = None;
    for (i, &h) in ref_hints.iter().enumerate() {
        if d(h, order_hint) < 0 {
            if fwd.is_none_or(|(_, fh)| d(h, fh) > 0) {
                fwd = Some((i, h));
            }
        } else if d(h, order_hint) > 0 && bwd.is_none_or(|(_, bh)| d(h, bh) < 0) {
            bwd = Some((i, h));
        }
    }
    let (fi, fh) = fwd?;
    let other = match bwd {
        Some((bi, _)) => bi,
        None => {
            let mut second: Option<(usize, u32)> = None;
            for (i, &h) in ref_hints.iter().enumerate() {
                if d(h, fh) < 0 && second.is_none_or(|(_, sh)| d(h, sh) > 0) {
                    second = Some((i, h));
                }
            }
            second?.0
        }
    };
    let last = v4l2::v4l2_av1_reference_frame_V4L2_AV1_REF_LAST_FRAME as u8;
    Some([last + fi.min(other) as u8, last + fi.max(other) as u8])
}

/// `MiColStarts` / `MiRowStarts` (in 4x4 units) from the tile sizes in superblocks, the last
/// one being `mi_count` (MiCols / MiRows).
pub fn mi_starts(sizes_minus_1: &[u16], sb_shift: u32, mi_count: u32, out: &mut [u32]) {
    let mut start = 0u32;
    for (i, s) in sizes_minus_1.iter().enumerate() {
        out[i] = start << sb_shift;
        start += u32::from(*s) + 1;
    }
    out[sizes_minus_1.len()] = mi_count;
}

/// The spec's `FrameWidth` from the upscaled width and SuperresDenom (7.21 / 5.9.8).
pub fn downscaled_width(upscaled: u32, denom: u32) -> u32 {
    if denom == 0 || denom == 8 {
        upscaled
    } else {
        (upscaled * 8 + denom / 2) / denom
    }
}

/// What the codec knows besides VA's picture parameters.
pub struct Known {
    /// Order hints of the seven references (LAST..ALTREF), from the driver's own decodes.
    pub ref_hints: [u32; 7],
    /// Timestamps of the eight reference slots (0 for an empty one).
    pub slot_ts: [u64; 8],
    /// TileSizeBytes (0 when one tile).
    pub tile_size_bytes: u8,
}

/// FRAME from VA's picture parameters and what the codec `k`nows.
pub fn frame(p: &Pic, f: &Fields, k: &Known) -> v4l2::v4l2_ctrl_av1_frame {
    let mut o: v4l2::v4l2_ctrl_av1_frame = crate::ioctl::zeroed();
    let pic = &f.pic;
    let upscaled = u32::from(p.frame_width_minus1) + 1;
    let denom = if pic.use_superres() != 0 {
        u32::from(p.superres_scale_denominator)
    } else {
        8
    };
    let width = downscaled_width(upscaled, denom);
    let height = u32::from(p.frame_height_minus1) + 1;
    let order_bits = if f.seq.enable_order_hint() != 0 {
        p.order_hint_bits_minus_1 + 1
    } else {
        0
    };

    // Tiles.
    let t = &mut o.tile_info;
    t.flags = bits(&[(
        v4l2::V4L2_AV1_TILE_INFO_FLAG_UNIFORM_TILE_SPACING,
        pic.uniform_tile_spacing_flag(),
    )]) as u8;
    t.context_update_tile_id = p.context_update_tile_id as u8;
    let cols = usize::from(p.tile_cols).min(v4l2::V4L2_AV1_MAX_TILE_COLS as usize);
    let rows = usize::from(p.tile_rows).min(v4l2::V4L2_AV1_MAX_TILE_ROWS as usize);
    t.tile_cols = cols as u8;
    t.tile_rows = rows as u8;
    let sb_shift = if f.seq.use_128x128_superblock() != 0 {
        5
    } else {
        4
    };
    let mi_cols = 2 * ((width + 7) >> 3);
    let mi_rows = 2 * ((height + 7) >> 3);
    mi_starts(
        &p.width_in_sbs_minus_1[..cols],
        sb_shift,
        mi_cols,
        &mut t.mi_col_starts,
    );
    mi_starts(
        &p.height_in_sbs_minus_1[..rows],
        sb_shift,
        mi_rows,
        &mut t.mi_row_starts,
    );
    for i in 0..cols {
        t.width_in_sbs_minus_1[i] = p.width_in_sbs_minus_1[i].into();
    }
    for i in 0..rows {
        t.height_in_sbs_minus_1[i] = p.height_in_sbs_minus_1[i].into();
    }
    t.tile_size_bytes = k.tile_size_bytes;

    // Quantisation.
    let q = &mut o.quantization;
    q.flags = bits(&[
        (
            v4l2::V4L2_AV1_QUANTIZATION_FLAG_DIFF_UV_DELTA,
            u32::from(separate_uv(p)),
        ),
        (
            v4l2::V4L2_AV1_QUANTIZATION_FLAG_USING_QMATRIX,
            f.qm.using_qmatrix().into(),
        ),
        (
            v4l2::V4L2_AV1_QUANTIZATION_FLAG_DELTA_Q_PRESENT,
            f.mode.delta_q_present_flag(),
        ),
    ]) as u8;
    q.base_q_idx = p.base_qindex;
    q.delta_q_y_dc = p.y_dc_delta_q;
    q.delta_q_u_dc = p.u_dc_delta_q;
    q.delta_q_u_ac = p.u_ac_delta_q;
    q.delta_q_v_dc = p.v_dc_delta_q;
    q.delta_q_v_ac = p.v_ac_delta_q;
    q.qm_y = f.qm.qm_y() as u8;
    q.qm_u = f.qm.qm_u() as u8;
    q.qm_v = f.qm.qm_v() as u8;
    q.delta_q_res = f.mode.log2_delta_q_res() as u8;

    o.superres_denom = denom as u8;

    // Segmentation: LastActiveSegId and SegIdPreSkip as segmentation_params computes them.
    let s = &mut o.segmentation;
    let seg = &p.seg_info;
    let mut pre_skip = 0;
    for i in 0..8 {
        s.feature_enabled[i] = seg.feature_mask[i];
        s.feature_data[i] = seg.feature_data[i];
        if seg.feature_mask[i] != 0 {
            s.last_active_seg_id = i as u8;
            if seg.feature_mask[i] >> v4l2::v4l2_av1_segment_feature_V4L2_AV1_SEG_LVL_REF_FRAME != 0
            {
                pre_skip = 1;
            }
        }
    }
    s.flags = bits(&[
        (v4l2::V4L2_AV1_SEGMENTATION_FLAG_ENABLED, f.seg.enabled()),
        (
            v4l2::V4L2_AV1_SEGMENTATION_FLAG_UPDATE_MAP,
            f.seg.update_map(),
        ),
        (
            v4l2::V4L2_AV1_SEGMENTATION_FLAG_TEMPORAL_UPDATE,
            f.seg.temporal_update(),
        ),
        (
            v4l2::V4L2_AV1_SEGMENTATION_FLAG_UPDATE_DATA,
            f.seg.update_data(),
        ),
        (v4l2::V4L2_AV1_SEGMENTATION_FLAG_SEG_ID_PRE_SKIP, pre_skip),
    ]) as u8;

    // Loop filter.
    let l = &mut o.loop_filter;
    l.flags = bits(&[
        (
            v4l2::V4L2_AV1_LOOP_FILTER_FLAG_DELTA_ENABLED,
            f.lf.mode_ref_delta_enabled().into(),
        ),
        (
            v4l2::V4L2_AV1_LOOP_FILTER_FLAG_DELTA_UPDATE,
            f.lf.mode_ref_delta_update().into(),
        ),
        (
            v4l2::V4L2_AV1_LOOP_FILTER_FLAG_DELTA_LF_PRESENT,
            f.mode.delta_lf_present_flag(),
        ),
        (
            v4l2::V4L2_AV1_LOOP_FILTER_FLAG_DELTA_LF_MULTI,
            f.mode.delta_lf_multi(),
        ),
    ]) as u8;
    l.level = [
        p.filter_level[0],
        p.filter_level[1],
        p.filter_level_u,
        p.filter_level_v,
    ];
    l.sharpness = f.lf.sharpness_level();
    l.ref_deltas = p.ref_deltas;
    l.mode_deltas = p.mode_deltas;
    l.delta_lf_res = f.mode.log2_delta_lf_res() as u8;

    // CDEF: VA packs each strength as primary << 2 | coded secondary; V4L2 takes the
    // secondary as the spec uses it (a coded 3 means 4).
    let c = &mut o.cdef;
    c.damping_minus_3 = p.cdef_damping_minus_3;
    c.bits = p.cdef_bits;
    for i in 0..8 {
        let sec = |v: u8| if v & 3 == 3 { 4 } else { v & 3 };
        c.y_pri_strength[i] = p.cdef_y_strengths[i] >> 2;
        c.y_sec_strength[i] = sec(p.cdef_y_strengths[i]);
        c.uv_pri_strength[i] = p.cdef_uv_strengths[i] >> 2;
        c.uv_sec_strength[i] = sec(p.cdef_uv_strengths[i]);
    }

    // References and skip mode.
    let intra = is_intra(pic.frame_type());
    let skip = if intra || f.mode.reference_select() == 0 || order_bits == 0 {
        None
    } else {
        skip_mode_frames(u32::from(p.order_hint), k.ref_hints, order_bits)
    };
    o.skip_mode_frame = skip.unwrap_or([0, 0]);
    o.primary_ref_frame = p.primary_ref_frame;

    // Loop restoration: VA's types are already FrameRestorationType (NONE, WIENER, SGRPROJ,
    // SWITCHABLE), as V4L2's.
    let r = &mut o.loop_restoration;
    let types = [
        f.lr.yframe_restoration_type(),
        f.lr.cbframe_restoration_type(),
        f.lr.crframe_restoration_type(),
    ];
    let uses_lr = types.iter().any(|t| *t != 0);
    let uses_chroma = types[1..].iter().any(|t| *t != 0);
    r.flags = bits(&[
        (
            v4l2::V4L2_AV1_LOOP_RESTORATION_FLAG_USES_LR,
            u32::from(uses_lr),
        ),
        (
            v4l2::V4L2_AV1_LOOP_RESTORATION_FLAG_USES_CHROMA_LR,
            u32::from(uses_chroma),
        ),
    ]) as u8;
    for (i, t) in types.iter().enumerate() {
        r.frame_restoration_type[i] = u32::from(*t);
    }
    if uses_lr {
        r.lr_unit_shift = f.lr.lr_unit_shift() as u8;
        r.lr_uv_shift = f.lr.lr_uv_shift() as u8;
        // RESTORATION_TILESIZE_MAX (256) >> (2 - lr_unit_shift), chroma >> lr_uv_shift.
        let luma = 256u32 >> (2 - u32::from(r.lr_unit_shift.min(2)));
        r.loop_restoration_size = [luma, luma >> r.lr_uv_shift, luma >> r.lr_uv_shift];
    }

    // Global motion, per reference frame (VA's wm[i] is LAST + i).
    let g = &mut o.global_motion;
    for (i, wm) in p.wm.iter().enumerate() {
        let r = i + 1;
        let ty = wm.wmtype;
        g.type_[r] = ty;
        g.flags[r] = bits(&[
            (
                v4l2::V4L2_AV1_GLOBAL_MOTION_FLAG_IS_GLOBAL,
                u32::from(ty != va::VAAV1TransformationIdentity),
            ),
            (
                v4l2::V4L2_AV1_GLOBAL_MOTION_FLAG_IS_ROT_ZOOM,
                u32::from(ty == va::VAAV1TransformationRotzoom),
            ),
            (
                v4l2::V4L2_AV1_GLOBAL_MOTION_FLAG_IS_TRANSLATION,
                u32::from(ty == va::VAAV1TransformationTranslation),
            ),
        ]) as u8;
        g.params[r].copy_from_slice(&wm.wmmat[..6]);
        if wm.invalid != 0 {
            g.invalid |= 1 << r;
        }
    }

    o.flags = bits(&[
        (v4l2::V4L2_AV1_FRAME_FLAG_SHOW_FRAME, pic.show_frame()),
        (
            v4l2::V4L2_AV1_FRAME_FLAG_SHOWABLE_FRAME,
            pic.showable_frame(),
        ),
        (
            v4l2::V4L2_AV1_FRAME_FLAG_ERROR_RESILIENT_MODE,
            pic.error_resilient_mode(),
        ),
        (
            v4l2::V4L2_AV1_FRAME_FLAG_DISABLE_CDF_UPDATE,
            pic.disable_cdf_update(),
        ),
        (
            v4l2::V4L2_AV1_FRAME_FLAG_ALLOW_SCREEN_CONTENT_TOOLS,
            pic.allow_screen_content_tools(),
        ),
        // The spec's value: 1 on intra frames whatever was coded (FFmpeg passes the coded
        // bit, GStreamer the spec's value).
        (
            v4l2::V4L2_AV1_FRAME_FLAG_FORCE_INTEGER_MV,
            pic.force_integer_mv() | u32::from(intra),
        ),
        (v4l2::V4L2_AV1_FRAME_FLAG_ALLOW_INTRABC, pic.allow_intrabc()),
        (v4l2::V4L2_AV1_FRAME_FLAG_USE_SUPERRES, pic.use_superres()),
        (
            v4l2::V4L2_AV1_FRAME_FLAG_ALLOW_HIGH_PRECISION_MV,
            pic.allow_high_precision_mv(),
        ),
        (
            v4l2::V4L2_AV1_FRAME_FLAG_IS_MOTION_MODE_SWITCHABLE,
            pic.is_motion_mode_switchable(),
        ),
        (
            v4l2::V4L2_AV1_FRAME_FLAG_USE_REF_FRAME_MVS,
            pic.use_ref_frame_mvs(),
        ),
        (
            v4l2::V4L2_AV1_FRAME_FLAG_DISABLE_FRAME_END_UPDATE_CDF,
            pic.disable_frame_end_update_cdf(),
        ),
        (
            v4l2::V4L2_AV1_FRAME_FLAG_ALLOW_WARPED_MOTION,
            pic.allow_warped_motion(),
        ),
        (
            v4l2::V4L2_AV1_FRAME_FLAG_REFERENCE_SELECT,
            f.mode.reference_select(),
        ),
        (
            v4l2::V4L2_AV1_FRAME_FLAG_REDUCED_TX_SET,
            f.mode.reduced_tx_set_used(),
        ),
        (
            v4l2::V4L2_AV1_FRAME_FLAG_SKIP_MODE_ALLOWED,
            u32::from(skip.is_some()),
        ),
        (
            v4l2::V4L2_AV1_FRAME_FLAG_SKIP_MODE_PRESENT,
            f.mode.skip_mode_present(),
        ),
    ]);
    o.frame_type = pic.frame_type();
    o.order_hint = u32::from(p.order_hint);
    o.upscaled_width = upscaled;
    o.interpolation_filter = u32::from(p.interp_filter);
    o.tx_mode = f.mode.tx_mode();
    o.frame_width_minus_1 = width - 1;
    o.frame_height_minus_1 = height - 1;
    // VA-API has no render size: the frame size (render_and_frame_size_different = 0).
    o.render_width_minus_1 = (upscaled - 1) as u16;
    o.render_height_minus_1 = (height - 1) as u16;
    if !intra {
        for (i, h) in k.ref_hints.iter().enumerate() {
            o.order_hints[i + 1] = *h;
        }
    }
    o.reference_frame_ts = k.slot_ts;
    for i in 0..7 {
        o.ref_frame_idx[i] = p.ref_frame_idx[i] as i8;
    }
    // VA-API has no refresh_frame_flags: a shown key frame refreshes every slot (the spec
    // requires it); otherwise unknown, 0.
    o.refresh_frame_flags = if pic.frame_type() == v4l2::v4l2_av1_frame_type_V4L2_AV1_KEY_FRAME
        && pic.show_frame() != 0
    {
        0xff
    } else {
        0
    };
    o
}

/// FILM_GRAIN: the parameters FFmpeg resolved (a `load_grain_params` already applied), so
/// UPDATE_GRAIN is set and `film_grain_params_ref_idx` is 0.
pub fn film_grain(p: &Pic, f: &Fields) -> v4l2::v4l2_ctrl_av1_film_grain {
    let g = &p.film_grain_info;
    let b = &f.grain;
    let mut o: v4l2::v4l2_ctrl_av1_film_grain = crate::ioctl::zeroed();
    if b.apply_grain() == 0 {
        return o;
    }
    o.flags = bits(&[
        (v4l2::V4L2_AV1_FILM_GRAIN_FLAG_APPLY_GRAIN, 1),
        (v4l2::V4L2_AV1_FILM_GRAIN_FLAG_UPDATE_GRAIN, 1),
        (
            v4l2::V4L2_AV1_FILM_GRAIN_FLAG_CHROMA_SCALING_FROM_LUMA,
            b.chroma_scaling_from_luma(),
        ),
        (v4l2::V4L2_AV1_FILM_GRAIN_FLAG_OVERLAP, b.overlap_flag()),
        (
            v4l2::V4L2_AV1_FILM_GRAIN_FLAG_CLIP_TO_RESTRICTED_RANGE,
            b.clip_to_restricted_range(),
        ),
    ]) as u8;
    o.cr_mult = g.cr_mult;
    o.grain_seed = g.grain_seed;
    o.num_y_points = g.num_y_points;
    o.point_y_value[..g.point_y_value.len()].copy_from_slice(&g.point_y_value);
    o.point_y_scaling[..g.point_y_scaling.len()].copy_from_slice(&g.point_y_scaling);
    o.num_cb_points = g.num_cb_points;
    o.point_cb_value[..g.point_cb_value.len()].copy_from_slice(&g.point_cb_value);
    o.point_cb_scaling[..g.point_cb_scaling.len()].copy_from_slice(&g.point_cb_scaling);
    o.num_cr_points = g.num_cr_points;
    o.point_cr_value[..g.point_cr_value.len()].copy_from_slice(&g.point_cr_value);
    o.point_cr_scaling[..g.point_cr_scaling.len()].copy_from_slice(&g.point_cr_scaling);
    o.grain_scaling_minus_8 = b.grain_scaling_minus_8() as u8;
    o.ar_coeff_lag = b.ar_coeff_lag() as u8;
    let plus_128 = |src: &[i8], dst: &mut [u8]| {
        for (d, s) in dst.iter_mut().zip(src) {
            *d = (i16::from(*s) + 128) as u8;
        }
    };
    plus_128(&g.ar_coeffs_y, &mut o.ar_coeffs_y_plus_128);
    plus_128(&g.ar_coeffs_cb, &mut o.ar_coeffs_cb_plus_128);
    plus_128(&g.ar_coeffs_cr, &mut o.ar_coeffs_cr_plus_128);
    o.ar_coeff_shift_minus_6 = b.ar_coeff_shift_minus_6() as u8;
    o.grain_scale_shift = b.grain_scale_shift() as u8;
    o.cb_mult = g.cb_mult;
    o.cb_luma_mult = g.cb_luma_mult;
    o.cr_luma_mult = g.cr_luma_mult;
    o.cb_offset = g.cb_offset;
    o.cr_offset = g.cr_offset;
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_dist_wraps_around_the_order_hint_bits() {
        assert_eq!(relative_dist(5, 3, 7), 2);
        assert_eq!(relative_dist(3, 5, 7), -2);
        // 7 bits: 1 is 3 after 126.
        assert_eq!(relative_dist(1, 126, 7), 3);
        assert_eq!(relative_dist(126, 1, 7), -3);
        assert_eq!(relative_dist(9, 1, 0), 0);
    }

    #[test]
    fn skip_mode_takes_the_nearest_forward_and_backward_references() {
        // Current 8; LAST=7, LAST2=6, LAST3=4, GOLDEN=0, BWD=9, ALT2=12, ALT=16.
        let hints = [7, 6, 4, 0, 9, 12, 16];
        assert_eq!(skip_mode_frames(8, hints, 7), Some([1, 5]));
        // Only forward references: the two nearest (7 = LAST, 6 = LAST2).
        assert_eq!(skip_mode_frames(8, [7, 6, 4, 0, 0, 4, 7], 7), Some([1, 2]));
        // A single forward hint (all references the same frame): not allowed.
        assert_eq!(skip_mode_frames(8, [7; 7], 7), None);
        // Nothing before the current frame: not allowed.
        assert_eq!(skip_mode_frames(8, [9; 7], 7), None);
    }

    #[test]
    fn mi_starts_end_at_the_frame_size_in_4x4_units() {
        // 320 px wide, 64x64 superblocks, two columns of 3 and 2 superblocks.
        let mut out = [0u32; 65];
        mi_starts(&[2, 1], 4, 80, &mut out);
        assert_eq!(&out[..3], &[0, 48, 80]);
        // 240 px high, one row.
        mi_starts(&[3], 4, 60, &mut out);
        assert_eq!(&out[..2], &[0, 60]);
    }

    #[test]
    fn superres_downscales_the_coded_width() {
        assert_eq!(downscaled_width(320, 8), 320);
        // 320 * 8 / 16 = 160; 320 * 8 / 9 = 284.4 → 284.
        assert_eq!(downscaled_width(320, 16), 160);
        assert_eq!(downscaled_width(320, 9), 284);
    }

    #[test]
    fn cdef_secondary_strength_three_means_four() {
        let mut p: Pic = crate::ioctl::zeroed();
        p.cdef_bits = 1;
        p.cdef_y_strengths[0] = 11 << 2 | 3;
        p.cdef_uv_strengths[0] = 5 << 2 | 2;
        let f = fields(&p);
        let k = Known {
            ref_hints: [0; 7],
            slot_ts: [0; 8],
            tile_size_bytes: 0,
        };
        p.frame_width_minus1 = 319;
        p.frame_height_minus1 = 239;
        let o = frame(&p, &f, &k);
        assert_eq!(
            (o.cdef.y_pri_strength[0], o.cdef.y_sec_strength[0]),
            (11, 4)
        );
        assert_eq!(
            (o.cdef.uv_pri_strength[0], o.cdef.uv_sec_strength[0]),
            (5, 2)
        );
        assert_eq!(o.superres_denom, 8);
        assert_eq!(o.tile_info.mi_col_starts[..0], []);
    }
}
