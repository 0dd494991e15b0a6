//! Canonical forms of a unit's controls for `vatrace diff`: references rewritten from each
//! client's timestamps to picture ordinals ([`map_refs`], done once per unit), and the flat
//! `field → value` list two units are compared by ([`fields`]), where what the kernel does not
//! read is left out so two clients that differ only there compare equal:
//! * H.264 DPB: entries without `VALID` dropped, the others keyed by their POC (`dpb[poc=4/4]`)
//!   instead of their slot, so two clients filling slots in another order compare equal;
//! * H.264 reference lists: entries past `num_ref_idx_lX_active_minus1` (all of them for I
//!   slices, list 1 for P slices) dropped, and `index` shown as the DPB entry it names;
//! * H.264 prediction weights: dropped when the PPS and slice type do not use explicit weights,
//!   and entries past the active reference counts zeroed;
//! * H.264 scaling matrix: dropped unless the PPS says it is present; its 8x8 lists dropped
//!   without the 8x8 transform.
//!
//! Other codecs compare every field, with their references (MPEG-2 forward/backward, VP8 and VP9
//! last/golden/alt, HEVC DPB, AV1 reference frames) resolved to picture ordinals.

use crate::controls::{fields as flat, ids, ControlValue, H264DecodeParams, H264SliceParams};

use super::side::{control_prefix, UNRESOLVED};

/// Rewrites every reference timestamp in `v` through `f` (timestamp → picture ordinal).
pub fn map_refs(v: &mut ControlValue, f: &mut impl FnMut(u64) -> u64) {
    match v {
        ControlValue::H264DecodeParams(d) => {
            for e in d.dpb.iter_mut().filter(|e| e.flags & DPB_VALID != 0) {
                e.reference_ts = f(e.reference_ts);
            }
        }
        ControlValue::HevcDecodeParams(d) => {
            let n = usize::from(d.num_active_dpb_entries).min(d.dpb.len());
            for e in &mut d.dpb[..n] {
                e.timestamp = f(e.timestamp);
            }
        }
        ControlValue::Mpeg2Picture(p) => {
            p.backward_ref_ts = f(p.backward_ref_ts);
            p.forward_ref_ts = f(p.forward_ref_ts);
        }
        ControlValue::Vp8Frame(p) => {
            p.last_frame_ts = f(p.last_frame_ts);
            p.golden_frame_ts = f(p.golden_frame_ts);
            p.alt_frame_ts = f(p.alt_frame_ts);
        }
        ControlValue::Vp9Frame(p) => {
            p.last_frame_ts = f(p.last_frame_ts);
            p.golden_frame_ts = f(p.golden_frame_ts);
            p.alt_frame_ts = f(p.alt_frame_ts);
        }
        ControlValue::Av1Frame(p) => {
            for t in &mut p.reference_frame_ts {
                *t = f(*t);
            }
        }
        _ => {}
    }
}

const DPB_VALID: u32 = 0x01;
const PPS_WEIGHTED_PRED: u16 = 0x0004;
const PPS_TRANSFORM_8X8: u16 = 0x0040;
const PPS_SCALING_MATRIX_PRESENT: u16 = 0x0080;
const SLICE_P: u8 = 0;
const SLICE_B: u8 = 1;
const SLICE_SP: u8 = 3;

/// Whether a field holds a reference normalised by [`map_refs`].
fn is_ref_field(prefix: &str, key: &str) -> bool {
    key.ends_with("reference_ts")
        || key.ends_with("_ref_ts")
        || key.ends_with("_frame_ts")
        || key.starts_with("reference_frame_ts")
        || (prefix == "hevc_decode_params" && key.ends_with(".timestamp"))
}

/// A normalised reference as text: `frame 3`, or the raw timestamp when unresolved.
pub fn ref_text(v: u64) -> String {
    if v & UNRESOLVED != 0 {
        format!("ts {} (no OUTPUT buffer carried it)", v & !UNRESOLVED)
    } else {
        format!("frame {v}")
    }
}

fn ref_field_value(prefix: &str, key: &str, value: String) -> String {
    if is_ref_field(prefix, key) {
        if let Ok(v) = value.parse::<u64>() {
            return ref_text(v);
        }
        // AV1's reference_frame_ts flattens as one `{a,b,…}` list.
        if let Some(inner) = value.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let parts: Vec<String> = inner
                .split(',')
                .map(|p| p.parse::<u64>().map(ref_text).unwrap_or_else(|_| p.into()))
                .collect();
            return format!("{{{}}}", parts.join(", "));
        }
    }
    value
}

/// The DPB key of an H.264 DPB entry: its POC.
fn dpb_key(d: &H264DecodeParams, slot: usize) -> Option<String> {
    let e = d.dpb.get(slot)?;
    (e.flags & DPB_VALID != 0)
        .then(|| format!("poc={}/{}", e.top_field_order_cnt, e.bottom_field_order_cnt))
}

/// Appends the canonical `field → value` pairs of a unit's controls to `out`.
pub fn fields(controls: &[(u32, ControlValue)], out: &mut Vec<(String, String)>) {
    let find = |id: u32| controls.iter().find(|(i, _)| *i == id).map(|(_, v)| v);
    let pps = match find(ids::V4L2_CID_STATELESS_H264_PPS) {
        Some(ControlValue::H264Pps(p)) => Some(p.as_ref()),
        _ => None,
    };
    let decode = match find(ids::V4L2_CID_STATELESS_H264_DECODE_PARAMS) {
        Some(ControlValue::H264DecodeParams(d)) => Some(d.as_ref()),
        _ => None,
    };
    let slice = match find(ids::V4L2_CID_STATELESS_H264_SLICE_PARAMS) {
        Some(ControlValue::H264SliceParams(s)) => Some(s.as_ref()),
        _ => None,
    };
    for (id, v) in controls {
        let prefix = control_prefix(*id);
        match v {
            ControlValue::H264DecodeParams(d) => h264_decode(&prefix, d, out),
            ControlValue::H264SliceParams(s) => h264_slice(&prefix, s, decode, out),
            ControlValue::H264PredWeights(w) => {
                let (Some(pps), Some(s)) = (pps, slice) else {
                    push_all(&prefix, v, out);
                    continue;
                };
                let ty = s.slice_type % 5;
                let used = (pps.flags & PPS_WEIGHTED_PRED != 0
                    && (ty == SLICE_P || ty == SLICE_SP))
                    || (pps.weighted_bipred_idc == 1 && ty == SLICE_B);
                if !used {
                    continue;
                }
                let mut w = w.clone();
                let active = [
                    usize::from(s.num_ref_idx_l0_active_minus1) + 1,
                    if ty == SLICE_B {
                        usize::from(s.num_ref_idx_l1_active_minus1) + 1
                    } else {
                        0
                    },
                ];
                for (l, f) in w.weight_factors.iter_mut().enumerate() {
                    for j in active[l].min(32)..32 {
                        f.luma_weight[j] = 0;
                        f.luma_offset[j] = 0;
                        f.chroma_weight[j] = [0; 2];
                        f.chroma_offset[j] = [0; 2];
                    }
                }
                push_all(&prefix, &ControlValue::H264PredWeights(w), out);
            }
            ControlValue::H264ScalingMatrix(m) => {
                let Some(pps) = pps else {
                    push_all(&prefix, v, out);
                    continue;
                };
                if pps.flags & PPS_SCALING_MATRIX_PRESENT == 0 {
                    continue;
                }
                for (k, val) in m.fields() {
                    if k.starts_with("scaling_list_8x8") && pps.flags & PPS_TRANSFORM_8X8 == 0 {
                        continue;
                    }
                    out.push((format!("{prefix}.{k}"), val));
                }
            }
            _ => push_all(&prefix, v, out),
        }
    }
}

fn push_all(prefix: &str, v: &ControlValue, out: &mut Vec<(String, String)>) {
    for (k, val) in flat(v) {
        let val = ref_field_value(prefix, &k, val);
        out.push((format!("{prefix}.{k}"), val));
    }
}

fn h264_decode(prefix: &str, d: &H264DecodeParams, out: &mut Vec<(String, String)>) {
    let mut seen: Vec<String> = Vec::new();
    for (slot, e) in d.dpb.iter().enumerate() {
        let Some(mut key) = dpb_key(d, slot) else {
            continue;
        };
        let n = seen.iter().filter(|k| **k == key).count();
        seen.push(key.clone());
        if n > 0 {
            key = format!("{key}#{}", n + 1);
        }
        for (k, val) in e.fields() {
            let val = if k == "reference_ts" {
                val.parse::<u64>().map(ref_text).unwrap_or(val)
            } else {
                val
            };
            out.push((format!("{prefix}.dpb[{key}].{k}"), val));
        }
    }
    for (k, val) in d.fields() {
        if !k.starts_with("dpb[") {
            out.push((format!("{prefix}.{k}"), val));
        }
    }
}

fn h264_slice(
    prefix: &str,
    s: &H264SliceParams,
    decode: Option<&H264DecodeParams>,
    out: &mut Vec<(String, String)>,
) {
    let ty = s.slice_type % 5;
    let active = [
        if matches!(ty, SLICE_P | SLICE_SP | SLICE_B) {
            usize::from(s.num_ref_idx_l0_active_minus1) + 1
        } else {
            0
        },
        if ty == SLICE_B {
            usize::from(s.num_ref_idx_l1_active_minus1) + 1
        } else {
            0
        },
    ];
    for (k, val) in s.fields() {
        if !k.starts_with("ref_pic_list") {
            out.push((format!("{prefix}.{k}"), val));
        }
    }
    for (l, list) in [&s.ref_pic_list0, &s.ref_pic_list1].iter().enumerate() {
        for (i, r) in list.iter().enumerate().take(active[l].min(32)) {
            let target = match decode.and_then(|d| dpb_key(d, usize::from(r.index))) {
                Some(k) => format!("dpb[{k}]"),
                None => format!("slot {} (not a valid DPB entry)", r.index),
            };
            out.push((format!("{prefix}.ref_pic_list{l}[{i}].index"), target));
            out.push((
                format!("{prefix}.ref_pic_list{l}[{i}].fields"),
                r.fields.to_string(),
            ));
        }
    }
}
