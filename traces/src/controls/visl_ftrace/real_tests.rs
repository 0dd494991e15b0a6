//! Tests against real visl output: `testdata/visl_*_controls.txt` are the ftrace text of the
//! 6.12 test-bed kernel while GStreamer's v4l2sl{h264,mpeg2,vp8,h265,vp9}dec decoded 4-frame
//! 128x96 clips (H.264 High with B-frames and 2 slices per frame, first and last request kept;
//! MPEG-2 with B-frames and VP8, whole; HEVC with B-frames and VP9, first two requests),
//! captured by `testdata/capture.sh`.
//!
//! For every request visl printed, each control's payload is rebuilt from the printed values
//! (field offsets from the Rust mirrors, value syntax inverted: flag names, `{0x…}` arrays, hex
//! dumps, `%u` of negative numbers), decoded with [`decode`], and compared with the events by
//! [`compare`]: this checks the parser, the field names and every value format against what the
//! kernel really prints.

use std::collections::HashMap;

use super::*;
use crate::controls::wire::{FlagTable, Wire};
use crate::controls::{decode, h264, ids::*, mpeg2, vp8};

const H264: &str = include_str!("../testdata/visl_h264_controls.txt");
const MPEG2: &str = include_str!("../testdata/visl_mpeg2_controls.txt");
const VP8: &str = include_str!("../testdata/visl_vp8_controls.txt");

/// Field name → (offset, size), sizes from the gap to the next field (or the struct's end).
struct Map(HashMap<String, (usize, usize)>);

impl Map {
    fn new(fields: Vec<(String, usize)>, end: usize) -> Self {
        let mut sorted = fields;
        sorted.sort_by_key(|&(_, o)| o);
        let mut m = HashMap::new();
        for (i, (name, off)) in sorted.iter().enumerate() {
            let next = sorted.get(i + 1).map_or(end, |&(_, o)| o);
            m.insert(name.clone(), (*off, next - off));
        }
        Map(m)
    }
}

/// A struct's fields as (name, offset), with `prefix`, at `base`.
fn at(prefix: &str, base: usize, offsets: Vec<(&'static str, usize)>) -> Vec<(String, usize)> {
    offsets
        .into_iter()
        .map(|(n, o)| (format!("{prefix}{n}"), base + o))
        .collect()
}

/// Replaces the entry `name` of `fields` by `count` elements of a struct laid out by `inner`.
fn expand(
    fields: &mut Vec<(String, usize)>,
    name: &str,
    count: usize,
    elem: usize,
    inner: &[(&'static str, usize)],
) {
    let Some(pos) = fields.iter().position(|(n, _)| n == name) else {
        panic!("{name}")
    };
    let (_, base) = fields.remove(pos);
    for i in 0..count {
        fields.extend(at(
            &format!("{name}[{i}]."),
            base + i * elem,
            inner.to_vec(),
        ));
    }
}

fn parse_num(s: &str) -> u64 {
    s.parse::<i128>().unwrap_or_else(|_| panic!("number {s:?}")) as u64
}

fn parse_hex(s: &str) -> u64 {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap_or_else(|_| panic!("hex {s:?}"))
}

fn parse_flags(s: &str, table: FlagTable) -> u64 {
    s.split('|')
        .filter(|p| !p.is_empty())
        .map(|p| match table.iter().find(|&&(_, n)| n == p) {
            Some(&(mask, _)) => mask,
            None => parse_hex(p),
        })
        .fold(0, |a, b| a | b)
}

fn put(p: &mut [u8], off: usize, size: usize, v: u64) {
    p[off..off + size].copy_from_slice(&v.to_le_bytes()[..size]);
}

/// Rebuilds a payload of `size` bytes from the fields of `events`. `tables` names the flag
/// (and symbolic) fields, `hex` the hex-dump fields.
fn build(
    size: usize,
    map: &Map,
    events: &[&VislEvent],
    tables: &[(&str, FlagTable)],
    hex: &[&str],
) -> Vec<u8> {
    let mut p = vec![0u8; size];
    for ev in events {
        for (k, v) in &ev.fields {
            let &(off, len) = map
                .0
                .get(k)
                .unwrap_or_else(|| panic!("{}: no field {k}", ev.event));
            if let Some(&(_, t)) = tables.iter().find(|(n, _)| n == k) {
                put(&mut p, off, len, parse_flags(v, t));
            } else if hex.contains(&k.as_str()) {
                let bytes: Vec<u8> = v.split(' ').map(|b| parse_hex(b) as u8).collect();
                assert_eq!(bytes.len(), len, "{k}");
                p[off..off + len].copy_from_slice(&bytes);
            } else if let Some(inner) = v.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
                let elems: Vec<u64> = inner.split(',').map(parse_hex).collect();
                let elem = len / elems.len();
                assert_eq!(elem * elems.len(), len, "{k}");
                for (i, e) in elems.into_iter().enumerate() {
                    put(&mut p, off + i * elem, elem, e);
                }
            } else {
                put(&mut p, off, len, parse_num(v));
            }
        }
    }
    p
}

fn events<'a>(run: &'a [VislEvent], names: &[&str]) -> Vec<&'a VislEvent> {
    run.iter()
        .filter(|e| names.contains(&e.event.as_str()))
        .collect()
}

/// Rebuilds, decodes and compares one control of one run; returns how many fields it checked.
fn check(
    run: &[VislEvent],
    id: u32,
    size: usize,
    map: &Map,
    tables: &[(&str, FlagTable)],
    hex: &[&str],
) -> usize {
    let value = decode(id, &vec![0; size]).unwrap();
    let evs = events(run, value.visl_events());
    assert!(!evs.is_empty(), "{id:#x}: no events");
    let payload = build(size, map, &evs, tables, hex);
    let value = decode(id, &payload).unwrap();
    let diffs = compare(std::slice::from_ref(&value), run);
    assert_eq!(diffs, Vec::<FieldDiff>::new(), "{id:#x}");
    let fields: usize = evs.iter().map(|e| e.fields.len()).sum();
    assert_eq!(fields, visl_fields(&value).len(), "{id:#x}: field count");
    fields
}

#[test]
fn real_h264_output() {
    use h264::*;
    let runs = split_runs(parse_text(H264));
    assert_eq!(runs.len(), 2);
    let sps = Map::new(at("", 0, H264Sps::offsets()), H264Sps::SIZE);
    let pps = Map::new(at("", 0, H264Pps::offsets()), H264Pps::SIZE);
    let sm = Map::new(
        at("", 0, H264ScalingMatrix::offsets()),
        H264ScalingMatrix::SIZE,
    );
    let mut f = at("", 0, H264SliceParams::offsets());
    expand(&mut f, "ref_pic_list0", 32, 2, &H264Reference::offsets());
    expand(&mut f, "ref_pic_list1", 32, 2, &H264Reference::offsets());
    let slice = Map::new(f, H264SliceParams::SIZE);
    let mut f = at("", 0, H264DecodeParams::offsets());
    expand(&mut f, "dpb", 16, 32, &H264DpbEntry::offsets());
    let dp = Map::new(f, H264DecodeParams::SIZE);
    let mut f = at("", 0, H264PredWeights::offsets());
    f.retain(|(n, _)| n != "weight_factors");
    for i in 0..2 {
        f.extend(at(
            &format!("weight_factor[{i}]."),
            4 + i * 384,
            H264WeightFactors::offsets(),
        ));
    }
    let pw = Map::new(f, H264PredWeights::SIZE);
    let mut ref_tables: Vec<(String, FlagTable)> = Vec::new();
    for i in 0..32 {
        ref_tables.push((format!("ref_pic_list0[{i}].fields"), REF_FIELDS));
        ref_tables.push((format!("ref_pic_list1[{i}].fields"), REF_FIELDS));
    }
    let mut slice_tables: Vec<(&str, FlagTable)> =
        ref_tables.iter().map(|(n, t)| (n.as_str(), *t)).collect();
    slice_tables.extend([("flags", SLICE_FLAGS), ("slice_type", SLICE_TYPES)]);
    let dpb_tables: Vec<(String, FlagTable)> = (0..16)
        .flat_map(|i| {
            [
                (format!("dpb[{i}].fields"), REF_FIELDS),
                (format!("dpb[{i}].flags"), DPB_FLAGS),
            ]
        })
        .collect();
    let mut dp_tables: Vec<(&str, FlagTable)> =
        dpb_tables.iter().map(|(n, t)| (n.as_str(), *t)).collect();
    dp_tables.push(("flags", DECODE_FLAGS));
    let weight_hex = [
        "weight_factor[0].chroma_weight",
        "weight_factor[0].chroma_offset",
        "weight_factor[1].chroma_weight",
        "weight_factor[1].chroma_offset",
    ];
    let mut checked = 0;
    for run in &runs {
        checked += check(
            run,
            V4L2_CID_STATELESS_H264_SPS,
            H264Sps::SIZE,
            &sps,
            &[
                ("constraint_set_flags", SPS_CONSTRAINT_FLAGS),
                ("flags", SPS_FLAGS),
            ],
            &[],
        );
        checked += check(
            run,
            V4L2_CID_STATELESS_H264_PPS,
            H264Pps::SIZE,
            &pps,
            &[("flags", PPS_FLAGS)],
            &[],
        );
        checked += check(
            run,
            V4L2_CID_STATELESS_H264_SCALING_MATRIX,
            H264ScalingMatrix::SIZE,
            &sm,
            &[],
            &["scaling_list_4x4", "scaling_list_8x8"],
        );
        checked += check(
            run,
            V4L2_CID_STATELESS_H264_SLICE_PARAMS,
            H264SliceParams::SIZE,
            &slice,
            &slice_tables,
            &[],
        );
        checked += check(
            run,
            V4L2_CID_STATELESS_H264_DECODE_PARAMS,
            H264DecodeParams::SIZE,
            &dp,
            &dp_tables,
            &[],
        );
        checked += check(
            run,
            V4L2_CID_STATELESS_H264_PRED_WEIGHTS,
            H264PredWeights::SIZE,
            &pw,
            &[],
            &weight_hex,
        );
    }
    assert_eq!(checked, 2 * (18 + 11 + 2 + (14 + 128) + (13 + 16 * 7) + 10));
    // The last request is a P slice referencing DPB slot 2 and carrying explicit weights.
    let last = &runs[1];
    let sp = last
        .iter()
        .find(|e| e.event == "v4l2_ctrl_h264_slice_params")
        .unwrap();
    assert_eq!(sp.get("slice_type"), Some("P"));
    assert_eq!(
        last.iter().find_map(|e| e.get("ref_pic_list0[0].index")),
        Some("2")
    );
    assert_eq!(
        last.iter().find_map(|e| e.get("ref_pic_list1[0].fields")),
        Some("TOP_FIELD_REF|BOTTOM_FIELD_REF|0xfc")
    );
}

#[test]
fn real_mpeg2_output() {
    use mpeg2::*;
    let runs = split_runs(parse_text(MPEG2));
    assert_eq!(runs.len(), 4);
    let seq = Map::new(at("", 0, Mpeg2Sequence::offsets()), Mpeg2Sequence::SIZE);
    let pic = Map::new(at("", 0, Mpeg2Picture::offsets()), Mpeg2Picture::SIZE);
    let q = Map::new(
        at("", 0, Mpeg2Quantisation::offsets()),
        Mpeg2Quantisation::SIZE,
    );
    for run in &runs {
        check(
            run,
            V4L2_CID_STATELESS_MPEG2_SEQUENCE,
            Mpeg2Sequence::SIZE,
            &seq,
            &[("flags", SEQ_FLAGS)],
            &[],
        );
        check(
            run,
            V4L2_CID_STATELESS_MPEG2_PICTURE,
            Mpeg2Picture::SIZE,
            &pic,
            &[("flags", VISL_PIC_FLAGS)],
            &["f_code"],
        );
        check(
            run,
            V4L2_CID_STATELESS_MPEG2_QUANTISATION,
            Mpeg2Quantisation::SIZE,
            &q,
            &[],
            &[],
        );
    }
    // The first picture is an I frame with no references (u64::MAX), later ones are not.
    let types: Vec<&str> = runs
        .iter()
        .filter_map(|r| r.iter().find_map(|e| e.get("picture_coding_type")))
        .collect();
    assert_eq!(types[0], "1");
    assert!(types.contains(&"3"), "{types:?}");
    assert_eq!(
        runs[0][1].get("backward_ref_ts"),
        Some("18446744073709551615")
    );
}

#[test]
fn real_vp8_output() {
    use vp8::*;
    let runs = split_runs(parse_text(VP8));
    assert_eq!(runs.len(), 4);
    let mut f = at("", 0, Vp8Frame::offsets());
    for (name, inner) in [
        ("segment", Vp8Segment::offsets()),
        ("lf", Vp8LoopFilter::offsets()),
        ("quant", Vp8Quantization::offsets()),
        ("entropy", Vp8Entropy::offsets()),
        ("coder_state", Vp8EntropyCoderState::offsets()),
    ] {
        let pos = f.iter().position(|(n, _)| n == name).unwrap();
        let (_, base) = f.remove(pos);
        f.extend(at(&format!("{name}."), base, inner));
    }
    let map = Map::new(f, Vp8Frame::SIZE);
    let tables = [
        ("segment.flags", SEGMENT_FLAGS),
        ("lf.flags", LF_FLAGS),
        ("flags", FRAME_FLAGS),
    ];
    for run in &runs {
        let n = check(
            run,
            V4L2_CID_STATELESS_VP8_FRAME,
            Vp8Frame::SIZE,
            &map,
            &tables,
            &["entropy.coeff_probs", "entropy.mv_probs"],
        );
        assert_eq!(n, 39);
    }
    assert_eq!(
        runs[0][0].get("flags"),
        Some("KEY_FRAME|SHOW_FRAME|MB_NO_SKIP_COEFF")
    );
    assert_eq!(runs[0][0].get("width"), Some("128"));
}

const HEVC: &str = include_str!("../testdata/visl_hevc_controls.txt");
const VP9: &str = include_str!("../testdata/visl_vp9_controls.txt");

/// Replaces the entry `name` by the fields of the struct at its offset, unprefixed (visl
/// prints nested structs printed by their own event with plain names).
fn inline(
    fields: &mut Vec<(String, usize)>,
    name: &str,
    prefix: &str,
    inner: Vec<(&'static str, usize)>,
) {
    let pos = fields
        .iter()
        .position(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name}"));
    let (_, base) = fields.remove(pos);
    fields.extend(at(prefix, base, inner));
}

#[test]
fn real_hevc_output() {
    use crate::controls::hevc::*;
    let runs = split_runs(parse_text(HEVC));
    assert_eq!(runs.len(), 2);
    let sps = Map::new(at("", 0, HevcSps::offsets()), HevcSps::SIZE);
    let pps = Map::new(at("", 0, HevcPps::offsets()), HevcPps::SIZE);
    let mut f = at("", 0, HevcSliceParams::offsets());
    inline(
        &mut f,
        "pred_weight_table",
        "",
        HevcPredWeightTable::offsets(),
    );
    let slice = Map::new(f, HevcSliceParams::SIZE);
    let sm = Map::new(
        at("", 0, HevcScalingMatrix::offsets()),
        HevcScalingMatrix::SIZE,
    );
    let mut f = at("", 0, HevcDecodeParams::offsets());
    expand(&mut f, "dpb", 16, 16, &HevcDpbEntry::offsets());
    let dp = Map::new(f, HevcDecodeParams::SIZE);
    let dpb_flags: Vec<String> = (0..16).map(|i| format!("dpb[{i}].flags")).collect();
    let mut dp_tables: Vec<(&str, FlagTable)> =
        dpb_flags.iter().map(|n| (n.as_str(), DPB_FLAGS)).collect();
    dp_tables.push(("flags", DECODE_FLAGS));
    let mut checked = 0;
    for run in &runs {
        checked += check(
            run,
            V4L2_CID_STATELESS_HEVC_SPS,
            HevcSps::SIZE,
            &sps,
            &[("flags", VISL_SPS_FLAGS)],
            &[],
        );
        checked += check(
            run,
            V4L2_CID_STATELESS_HEVC_PPS,
            HevcPps::SIZE,
            &pps,
            &[("flags", VISL_PPS_FLAGS)],
            &[],
        );
        checked += check(
            run,
            V4L2_CID_STATELESS_HEVC_SLICE_PARAMS,
            HevcSliceParams::SIZE,
            &slice,
            &[("flags", SLICE_FLAGS)],
            &[
                "delta_chroma_weight_l0",
                "chroma_offset_l0",
                "delta_chroma_weight_l1",
                "chroma_offset_l1",
            ],
        );
        checked += check(
            run,
            V4L2_CID_STATELESS_HEVC_SCALING_MATRIX,
            HevcScalingMatrix::SIZE,
            &sm,
            &[],
            &[
                "scaling_list_4x4",
                "scaling_list_8x8",
                "scaling_list_16x16",
                "scaling_list_32x32",
            ],
        );
        checked += check(
            run,
            V4L2_CID_STATELESS_HEVC_DECODE_PARAMS,
            HevcDecodeParams::SIZE,
            &dp,
            &dp_tables,
            &[],
        );
    }
    assert_eq!(checked, 2 * (25 + 16 + (27 + 10) + 6 + (11 + 16 * 4)));
    // The second request references the IDR picture through the DPB.
    let dp1 = runs[1]
        .iter()
        .find(|e| e.event == "v4l2_ctrl_hevc_decode_params")
        .unwrap();
    assert_ne!(dp1.get("num_active_dpb_entries"), Some("0"));
}

#[test]
fn real_vp9_output() {
    use crate::controls::vp9::*;
    let runs = split_runs(parse_text(VP9));
    assert_eq!(runs.len(), 2);
    let mut f = at("", 0, Vp9Frame::offsets());
    inline(&mut f, "lf", "lf.", Vp9LoopFilter::offsets());
    inline(&mut f, "quant", "quant.", Vp9Quantization::offsets());
    inline(&mut f, "seg", "seg.", Vp9Segmentation::offsets());
    for (n, _) in f.iter_mut() {
        if n == "tile_rows_log2" {
            *n = "tile_rows_log_2".to_string();
        }
    }
    let frame = Map::new(f, Vp9Frame::SIZE);
    let mut f = at("", 0, Vp9CompressedHdr::offsets());
    inline(&mut f, "mv", "", Vp9MvProbs::offsets());
    let hdr = Map::new(f, Vp9CompressedHdr::SIZE);
    let frame_tables = [
        ("lf.flags", LF_FLAGS),
        ("seg.flags", SEG_FLAGS),
        ("flags", FRAME_FLAGS),
        ("ref_frame_sign_bias", VISL_SIGN_BIAS),
        ("reset_frame_context", VISL_RESET_CTX),
        ("interpolation_filter", VISL_INTERP),
        ("reference_mode", VISL_REF_MODE),
    ];
    let hdr_hex = [
        "tx8",
        "tx16",
        "tx32",
        "inter_mode",
        "interp_filter",
        "single_ref",
        "y_mode",
        "uv_mode",
        "partition",
        "coef",
        "classes",
        "bits",
        "class0_fr",
        "fr",
    ];
    for run in &runs {
        let n = check(
            run,
            V4L2_CID_STATELESS_VP9_FRAME,
            Vp9Frame::SIZE,
            &frame,
            &frame_tables,
            &["seg.feature_data"],
        );
        assert_eq!(n, 33);
        let n = check(
            run,
            V4L2_CID_STATELESS_VP9_COMPRESSED_HDR,
            Vp9CompressedHdr::SIZE,
            &hdr,
            &[("tx_mode", VISL_TX_MODES)],
            &hdr_hex,
        );
        assert_eq!(n, 14 + 1 + 9);
    }
    assert!(runs[0][0]
        .get("flags")
        .unwrap()
        .starts_with("KEY_FRAME|SHOW_FRAME"));
}
