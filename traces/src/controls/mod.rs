//! The codec-control catalogue: names for every control a stateless decoder stack uses, and
//! typed decoders for the compound (struct) payloads of the stateless codec controls, checked
//! against the kernel 6.12 uapi layouts.
//!
//! Entry points: [`control_name`], [`decode`] (payload bytes → [`ControlValue`]), its
//! `Display` one-liners for `vatrace dump`, [`fields`] (flat `(path, value)` pairs), [`diff`]
//! (fields that differ between two values). Test oracle, behind the `testing` feature (tests
//! only, not the library's API): `visl_fields` / `h264_fields` (the names and value formats
//! visl's ftrace events print; `visl_ftrace` parses those events and compares them with decoded
//! controls).
//!
//! How it is checked: `crate::layout_check` compares every struct size and field offset with
//! numbers `traces/src/layout_check/layout_check.c` printed from the 6.12 headers; each codec
//! file tests hand-built payloads;
//! `visl_ftrace/real_tests.rs` rebuilds every value visl printed in real test-bed traces
//! (`testdata/`), decodes it and compares it with the events.

pub mod av1;
pub mod fwht;
pub mod h264;
pub mod hevc;
pub mod ids;
mod menus;
pub mod mpeg2;
pub mod visl_fmt;
#[cfg(any(test, feature = "testing"))]
pub mod visl_ftrace;
pub mod vp8;
pub mod vp9;
pub mod wire;

#[cfg(test)]
pub(crate) mod layout;

use std::fmt;

pub use av1::{Av1FilmGrain, Av1Frame, Av1Sequence, Av1TileGroupEntry};
pub use fwht::FwhtParams;
pub use h264::{
    H264DecodeParams, H264DpbEntry, H264Pps, H264PredWeights, H264Reference, H264ScalingMatrix,
    H264SliceParams, H264Sps, H264WeightFactors,
};
pub use hevc::{
    Hdr10CllInfo, Hdr10MasteringDisplay, HevcDecodeParams, HevcPps, HevcScalingMatrix,
    HevcSliceParams, HevcSps,
};
pub use mpeg2::{Mpeg2Picture, Mpeg2Quantisation, Mpeg2Sequence};
pub use vp8::Vp8Frame;
pub use vp9::{Vp9CompressedHdr, Vp9Frame};

/// The `V4L2_CID_*` name of a control id, for every control in the catalogue (codec class,
/// stateless codec class, colorimetry class, and the user-class `MIN_BUFFERS_FOR_*`).
pub fn control_name(id: u32) -> Option<&'static str> {
    ids::name(id)
}

/// A decoded control payload.
///
/// Struct payloads are boxed to keep the enum small. Controls that are dynamic arrays in the
/// kernel (HEVC slice parameters and entry-point offsets, AV1 tile-group entries) decode to a
/// `Vec` of every element in the payload.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum ControlValue {
    H264Sps(Box<H264Sps>),
    H264Pps(Box<H264Pps>),
    H264ScalingMatrix(Box<H264ScalingMatrix>),
    H264PredWeights(Box<H264PredWeights>),
    H264SliceParams(Box<H264SliceParams>),
    H264DecodeParams(Box<H264DecodeParams>),
    Mpeg2Sequence(Box<Mpeg2Sequence>),
    Mpeg2Picture(Box<Mpeg2Picture>),
    Mpeg2Quantisation(Box<Mpeg2Quantisation>),
    Vp8Frame(Box<Vp8Frame>),
    FwhtParams(Box<FwhtParams>),
    Vp9Frame(Box<Vp9Frame>),
    Vp9CompressedHdr(Box<Vp9CompressedHdr>),
    HevcSps(Box<HevcSps>),
    HevcPps(Box<HevcPps>),
    HevcSliceParams(Vec<HevcSliceParams>),
    HevcScalingMatrix(Box<HevcScalingMatrix>),
    HevcDecodeParams(Box<HevcDecodeParams>),
    HevcEntryPointOffsets(Vec<u32>),
    Hdr10CllInfo(Box<Hdr10CllInfo>),
    Hdr10MasteringDisplay(Box<Hdr10MasteringDisplay>),
    Av1Sequence(Box<Av1Sequence>),
    Av1TileGroupEntry(Vec<Av1TileGroupEntry>),
    Av1Frame(Box<Av1Frame>),
    Av1FilmGrain(Box<Av1FilmGrain>),
    /// A menu control: the item index and, when known, the item's name.
    Menu {
        value: i64,
        item: Option<&'static str>,
    },
    /// An integer, boolean or integer-menu control.
    Integer(i64),
    /// A payload whose size does not fit the control: `expected` is the struct size (for a
    /// dynamic array, the element size the payload should be a non-zero multiple of).
    Malformed {
        expected: usize,
        got: usize,
    },
}

/// Decodes one control's payload: the pointed-to bytes of a compound control, or the 4-byte
/// `value` (8-byte `value64` also accepted) of an integer or menu control. `None` for ids the
/// catalogue does not decode; a payload of the wrong size gives [`ControlValue::Malformed`].
pub fn decode(id: u32, payload: &[u8]) -> Option<ControlValue> {
    use ids::*;
    fn one<T>(
        payload: &[u8],
        parse: fn(&[u8]) -> wire::ParseResult<T>,
        wrap: fn(Box<T>) -> ControlValue,
    ) -> ControlValue {
        match parse(payload) {
            Ok(v) => wrap(Box::new(v)),
            Err((expected, got)) => ControlValue::Malformed { expected, got },
        }
    }
    fn array<T>(
        payload: &[u8],
        parse: fn(&[u8]) -> wire::ParseResult<Vec<T>>,
        wrap: fn(Vec<T>) -> ControlValue,
    ) -> ControlValue {
        match parse(payload) {
            Ok(v) => wrap(v),
            Err((expected, got)) => ControlValue::Malformed { expected, got },
        }
    }
    Some(match id {
        V4L2_CID_STATELESS_H264_SPS => one(payload, H264Sps::parse, ControlValue::H264Sps),
        V4L2_CID_STATELESS_H264_PPS => one(payload, H264Pps::parse, ControlValue::H264Pps),
        V4L2_CID_STATELESS_H264_SCALING_MATRIX => one(
            payload,
            H264ScalingMatrix::parse,
            ControlValue::H264ScalingMatrix,
        ),
        V4L2_CID_STATELESS_H264_PRED_WEIGHTS => one(
            payload,
            H264PredWeights::parse,
            ControlValue::H264PredWeights,
        ),
        V4L2_CID_STATELESS_H264_SLICE_PARAMS => one(
            payload,
            H264SliceParams::parse,
            ControlValue::H264SliceParams,
        ),
        V4L2_CID_STATELESS_H264_DECODE_PARAMS => one(
            payload,
            H264DecodeParams::parse,
            ControlValue::H264DecodeParams,
        ),
        V4L2_CID_STATELESS_MPEG2_SEQUENCE => {
            one(payload, Mpeg2Sequence::parse, ControlValue::Mpeg2Sequence)
        }
        V4L2_CID_STATELESS_MPEG2_PICTURE => {
            one(payload, Mpeg2Picture::parse, ControlValue::Mpeg2Picture)
        }
        V4L2_CID_STATELESS_MPEG2_QUANTISATION => one(
            payload,
            Mpeg2Quantisation::parse,
            ControlValue::Mpeg2Quantisation,
        ),
        V4L2_CID_STATELESS_VP8_FRAME => one(payload, Vp8Frame::parse, ControlValue::Vp8Frame),
        V4L2_CID_STATELESS_FWHT_PARAMS => one(payload, FwhtParams::parse, ControlValue::FwhtParams),
        V4L2_CID_STATELESS_VP9_FRAME => one(payload, Vp9Frame::parse, ControlValue::Vp9Frame),
        V4L2_CID_STATELESS_VP9_COMPRESSED_HDR => one(
            payload,
            Vp9CompressedHdr::parse,
            ControlValue::Vp9CompressedHdr,
        ),
        V4L2_CID_STATELESS_HEVC_SPS => one(payload, HevcSps::parse, ControlValue::HevcSps),
        V4L2_CID_STATELESS_HEVC_PPS => one(payload, HevcPps::parse, ControlValue::HevcPps),
        V4L2_CID_STATELESS_HEVC_SLICE_PARAMS => array(
            payload,
            hevc::parse_array::<HevcSliceParams>,
            ControlValue::HevcSliceParams,
        ),
        V4L2_CID_STATELESS_HEVC_SCALING_MATRIX => one(
            payload,
            HevcScalingMatrix::parse,
            ControlValue::HevcScalingMatrix,
        ),
        V4L2_CID_STATELESS_HEVC_DECODE_PARAMS => one(
            payload,
            HevcDecodeParams::parse,
            ControlValue::HevcDecodeParams,
        ),
        V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS => array(
            payload,
            hevc::parse_array::<u32>,
            ControlValue::HevcEntryPointOffsets,
        ),
        V4L2_CID_COLORIMETRY_HDR10_CLL_INFO => {
            one(payload, Hdr10CllInfo::parse, ControlValue::Hdr10CllInfo)
        }
        V4L2_CID_COLORIMETRY_HDR10_MASTERING_DISPLAY => one(
            payload,
            Hdr10MasteringDisplay::parse,
            ControlValue::Hdr10MasteringDisplay,
        ),
        V4L2_CID_STATELESS_AV1_SEQUENCE => {
            one(payload, Av1Sequence::parse, ControlValue::Av1Sequence)
        }
        V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY => array(
            payload,
            hevc::parse_array::<Av1TileGroupEntry>,
            ControlValue::Av1TileGroupEntry,
        ),
        V4L2_CID_STATELESS_AV1_FRAME => one(payload, Av1Frame::parse, ControlValue::Av1Frame),
        V4L2_CID_STATELESS_AV1_FILM_GRAIN => {
            one(payload, Av1FilmGrain::parse, ControlValue::Av1FilmGrain)
        }
        _ => return menus::decode_scalar(id, payload),
    })
}

/// Reads an integer control's value: 4 bytes (`value`) or 8 bytes (`value64`), little-endian.
pub(crate) fn scalar(payload: &[u8]) -> Result<i64, ControlValue> {
    match payload.len() {
        4 => Ok(i64::from(i32::from_le_bytes([
            payload[0], payload[1], payload[2], payload[3],
        ]))),
        8 => {
            let mut b = [0u8; 8];
            b.copy_from_slice(payload);
            Ok(i64::from_le_bytes(b))
        }
        got => Err(ControlValue::Malformed { expected: 4, got }),
    }
}

/// Flattens a value into `(field path, value)` pairs: every struct field by its C name
/// (`dpb[3].reference_ts`, `segment.flags`), scalar arrays as `{a,b,…}` in decimal.
pub fn fields(value: &ControlValue) -> Vec<(String, String)> {
    use visl_fmt::kv;
    match value {
        ControlValue::H264Sps(v) => v.fields(),
        ControlValue::H264Pps(v) => v.fields(),
        ControlValue::H264ScalingMatrix(v) => v.fields(),
        ControlValue::H264PredWeights(v) => v.fields(),
        ControlValue::H264SliceParams(v) => v.fields(),
        ControlValue::H264DecodeParams(v) => v.fields(),
        ControlValue::Mpeg2Sequence(v) => v.fields(),
        ControlValue::Mpeg2Picture(v) => v.fields(),
        ControlValue::Mpeg2Quantisation(v) => v.fields(),
        ControlValue::Vp8Frame(v) => v.fields(),
        ControlValue::FwhtParams(v) => v.fields(),
        ControlValue::Vp9Frame(v) => v.fields(),
        ControlValue::Vp9CompressedHdr(v) => v.fields(),
        ControlValue::HevcSps(v) => v.fields(),
        ControlValue::HevcPps(v) => v.fields(),
        ControlValue::HevcSliceParams(v) => indexed(v, HevcSliceParams::fields),
        ControlValue::HevcScalingMatrix(v) => v.fields(),
        ControlValue::HevcDecodeParams(v) => v.fields(),
        ControlValue::HevcEntryPointOffsets(v) => v
            .iter()
            .enumerate()
            .map(|(i, o)| kv(format!("[{i}]"), o))
            .collect(),
        ControlValue::Hdr10CllInfo(v) => v.fields(),
        ControlValue::Hdr10MasteringDisplay(v) => v.fields(),
        ControlValue::Av1Sequence(v) => v.fields(),
        ControlValue::Av1TileGroupEntry(v) => indexed(v, Av1TileGroupEntry::fields),
        ControlValue::Av1Frame(v) => v.fields(),
        ControlValue::Av1FilmGrain(v) => v.fields(),
        ControlValue::Menu { value, item } => {
            vec![kv("value", value), kv("item", item.unwrap_or(""))]
        }
        ControlValue::Integer(v) => vec![kv("value", v)],
        ControlValue::Malformed { expected, got } => {
            vec![kv("malformed.expected", expected), kv("malformed.got", got)]
        }
    }
}

/// One field that differs between two decoded values of the same control.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldChange {
    /// The field path, as [`fields`] names it.
    pub field: String,
    /// The value in the first control, `None` if it has no such field.
    pub a: Option<String>,
    /// The value in the second control, `None` if it has no such field.
    pub b: Option<String>,
}

/// The fields that differ between two values (e.g. the DECODE_PARAMS two clients sent for
/// the same frame, or one client's consecutive SPS), in `a`'s field order, then `b`'s extras.
pub fn diff(a: &ControlValue, b: &ControlValue) -> Vec<FieldChange> {
    let fa = fields(a);
    let fb = fields(b);
    let mb: std::collections::HashMap<&str, &str> =
        fb.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let ma: std::collections::HashMap<&str, &str> =
        fa.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut out = Vec::new();
    for (k, v) in &fa {
        if mb.get(k.as_str()) != Some(&v.as_str()) {
            out.push(FieldChange {
                field: k.clone(),
                a: Some(v.clone()),
                b: mb.get(k.as_str()).map(|s| s.to_string()),
            });
        }
    }
    for (k, v) in &fb {
        if !ma.contains_key(k.as_str()) {
            out.push(FieldChange {
                field: k.clone(),
                a: None,
                b: Some(v.clone()),
            });
        }
    }
    out
}

/// Flattens the elements of a dynamic array as `[i].field`.
fn indexed<T>(v: &[T], fields: fn(&T) -> Vec<(String, String)>) -> Vec<(String, String)> {
    v.iter()
        .enumerate()
        .flat_map(|(i, e)| {
            fields(e)
                .into_iter()
                .map(move |(k, val)| (format!("[{i}].{k}"), val))
        })
        .collect()
}

#[cfg(any(test, feature = "testing"))]
/// Flattens a value the way visl's ftrace events print it: same field names (array elements
/// of the per-entry events as `ref_pic_list0[i].index`, `dpb[i].flags`), same value formats
/// (flag names joined by `|`, `__print_array` hex, hex dumps as `xx xx …`). Empty for values
/// visl does not trace.
pub fn visl_fields(value: &ControlValue) -> Vec<(String, String)> {
    match value {
        ControlValue::H264Sps(v) => h264::visl_sps(v),
        ControlValue::H264Pps(v) => h264::visl_pps(v),
        ControlValue::H264ScalingMatrix(v) => h264::visl_scaling(v),
        ControlValue::H264PredWeights(v) => h264::visl_pred_weights(v),
        ControlValue::H264SliceParams(v) => h264::visl_slice(v),
        ControlValue::H264DecodeParams(v) => h264::visl_decode(v),
        ControlValue::Mpeg2Sequence(v) => mpeg2::visl_sequence(v),
        ControlValue::Mpeg2Picture(v) => mpeg2::visl_picture(v),
        ControlValue::Mpeg2Quantisation(v) => mpeg2::visl_quantisation(v),
        ControlValue::Vp8Frame(v) => vp8::visl_frame(v),
        ControlValue::FwhtParams(v) => fwht::visl_params(v),
        ControlValue::Vp9Frame(v) => vp9::visl_frame(v),
        ControlValue::Vp9CompressedHdr(v) => vp9::visl_compressed(v),
        ControlValue::HevcSps(v) => hevc::visl_sps(v),
        ControlValue::Av1Sequence(v) => av1::visl_sequence(v),
        ControlValue::Av1TileGroupEntry(v) => av1::visl_tiles(v),
        ControlValue::Av1Frame(v) => av1::visl_frame(v),
        ControlValue::Av1FilmGrain(v) => av1::visl_film_grain(v),
        ControlValue::HevcPps(v) => hevc::visl_pps(v),
        ControlValue::HevcSliceParams(v) => hevc::visl_slices(v),
        ControlValue::HevcScalingMatrix(v) => hevc::visl_scaling(v),
        ControlValue::HevcDecodeParams(v) => hevc::visl_decode(v),
        _ => Vec::new(),
    }
}

#[cfg(any(test, feature = "testing"))]
/// [`visl_fields`] for the H.264 controls (empty for any other value).
pub fn h264_fields(value: &ControlValue) -> Vec<(String, String)> {
    if value.codec() == Some("h264") {
        visl_fields(value)
    } else {
        Vec::new()
    }
}

impl ControlValue {
    /// The codec a struct value belongs to (`"h264"`, `"hevc"`, `"mpeg2"`, `"vp8"`, `"vp9"`,
    /// `"av1"`, `"fwht"`), `None` for scalars and malformed payloads.
    pub fn codec(&self) -> Option<&'static str> {
        use ControlValue::*;
        match self {
            H264Sps(_) | H264Pps(_) | H264ScalingMatrix(_) | H264PredWeights(_)
            | H264SliceParams(_) | H264DecodeParams(_) => Some("h264"),
            Mpeg2Sequence(_) | Mpeg2Picture(_) | Mpeg2Quantisation(_) => Some("mpeg2"),
            Vp8Frame(_) => Some("vp8"),
            FwhtParams(_) => Some("fwht"),
            Vp9Frame(_) | Vp9CompressedHdr(_) => Some("vp9"),
            HevcSps(_)
            | HevcPps(_)
            | HevcSliceParams(_)
            | HevcScalingMatrix(_)
            | HevcDecodeParams(_)
            | HevcEntryPointOffsets(_)
            | Hdr10CllInfo(_)
            | Hdr10MasteringDisplay(_) => Some("hevc"),
            Av1Sequence(_) | Av1TileGroupEntry(_) | Av1Frame(_) | Av1FilmGrain(_) => Some("av1"),
            Menu { .. } | Integer(_) | Malformed { .. } => None,
        }
    }

    /// The name of the visl ftrace event(s) that print this value, in visl's order.
    pub fn visl_events(&self) -> &'static [&'static str] {
        use ControlValue::*;
        match self {
            H264Sps(_) => &["v4l2_ctrl_h264_sps"],
            H264Pps(_) => &["v4l2_ctrl_h264_pps"],
            H264ScalingMatrix(_) => &["v4l2_ctrl_h264_scaling_matrix"],
            H264PredWeights(_) => &["v4l2_ctrl_h264_pred_weights"],
            H264SliceParams(_) => &[
                "v4l2_ctrl_h264_slice_params",
                "v4l2_h264_ref_pic_list0",
                "v4l2_h264_ref_pic_list1",
            ],
            H264DecodeParams(_) => &["v4l2_ctrl_h264_decode_params", "v4l2_h264_dpb_entry"],
            Mpeg2Sequence(_) => &["v4l2_ctrl_mpeg2_sequence"],
            Mpeg2Picture(_) => &["v4l2_ctrl_mpeg2_picture"],
            Mpeg2Quantisation(_) => &["v4l2_ctrl_mpeg2_quantisation"],
            Vp8Frame(_) => &["v4l2_ctrl_vp8_frame", "v4l2_ctrl_vp8_entropy"],
            FwhtParams(_) => &["v4l2_ctrl_fwht_params"],
            Vp9Frame(_) => &["v4l2_ctrl_vp9_frame"],
            Vp9CompressedHdr(_) => &[
                "v4l2_ctrl_vp9_compressed_hdr",
                "v4l2_ctrl_vp9_compressed_coeff",
                "v4l2_vp9_mv_probs",
            ],
            HevcSps(_) => &["v4l2_ctrl_hevc_sps"],
            HevcPps(_) => &["v4l2_ctrl_hevc_pps"],
            HevcSliceParams(_) => &["v4l2_ctrl_hevc_slice_params", "v4l2_hevc_pred_weight_table"],
            HevcScalingMatrix(_) => &["v4l2_ctrl_hevc_scaling_matrix"],
            HevcDecodeParams(_) => &["v4l2_ctrl_hevc_decode_params", "v4l2_hevc_dpb_entry"],
            Av1Sequence(_) => &["v4l2_ctrl_av1_sequence"],
            Av1TileGroupEntry(_) => &["v4l2_ctrl_av1_tile_group_entry"],
            Av1Frame(_) => &["v4l2_ctrl_av1_frame"],
            Av1FilmGrain(_) => &["v4l2_ctrl_av1_film_grain"],
            HevcEntryPointOffsets(_)
            | Hdr10CllInfo(_)
            | Hdr10MasteringDisplay(_)
            | Menu { .. }
            | Integer(_)
            | Malformed { .. } => &[],
        }
    }
}

impl fmt::Display for ControlValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ControlValue::*;
        match self {
            H264Sps(v) => f.write_str(&h264::summary_sps(v)),
            H264Pps(v) => f.write_str(&h264::summary_pps(v)),
            H264ScalingMatrix(v) => f.write_str(&h264::summary_scaling(v)),
            H264PredWeights(v) => f.write_str(&h264::summary_pred_weights(v)),
            H264SliceParams(v) => f.write_str(&h264::summary_slice(v)),
            H264DecodeParams(v) => f.write_str(&h264::summary_decode(v)),
            Mpeg2Sequence(v) => f.write_str(&mpeg2::summary_sequence(v)),
            Mpeg2Picture(v) => f.write_str(&mpeg2::summary_picture(v)),
            Mpeg2Quantisation(v) => f.write_str(&mpeg2::summary_quantisation(v)),
            Vp8Frame(v) => f.write_str(&vp8::summary_frame(v)),
            FwhtParams(v) => f.write_str(&fwht::summary(v)),
            Vp9Frame(v) => f.write_str(&vp9::summary_frame(v)),
            Vp9CompressedHdr(v) => f.write_str(&vp9::summary_compressed(v)),
            HevcSps(v) => f.write_str(&hevc::summary_sps(v)),
            HevcPps(v) => f.write_str(&hevc::summary_pps(v)),
            HevcSliceParams(v) => f.write_str(&hevc::summary_slices(v)),
            HevcScalingMatrix(_) => f.write_str("HEVC SCALING_MATRIX"),
            HevcDecodeParams(v) => f.write_str(&hevc::summary_decode(v)),
            HevcEntryPointOffsets(v) => write!(f, "HEVC ENTRY_POINT_OFFSETS {v:?}"),
            Hdr10CllInfo(v) => write!(
                f,
                "HDR10 CLL max_content={} max_pic_average={}",
                v.max_content_light_level, v.max_pic_average_light_level
            ),
            Hdr10MasteringDisplay(v) => write!(
                f,
                "HDR10 MASTERING_DISPLAY luminance={}..{}",
                v.min_display_mastering_luminance, v.max_display_mastering_luminance
            ),
            Av1Sequence(v) => f.write_str(&av1::summary_sequence(v)),
            Av1TileGroupEntry(v) => f.write_str(&av1::summary_tiles(v)),
            Av1Frame(v) => f.write_str(&av1::summary_frame(v)),
            Av1FilmGrain(v) => f.write_str(&av1::summary_film_grain(v)),
            Menu {
                value,
                item: Some(name),
            } => write!(f, "{name} ({value})"),
            Menu { value, item: None } => write!(f, "menu item {value}"),
            Integer(v) => write!(f, "{v}"),
            Malformed { expected, got } => {
                write!(f, "malformed payload: {got} bytes, expected {expected}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ids::*;

    #[test]
    fn names() {
        assert_eq!(
            control_name(V4L2_CID_STATELESS_H264_SPS),
            Some("V4L2_CID_STATELESS_H264_SPS")
        );
        assert_eq!(
            control_name(V4L2_CID_MIN_BUFFERS_FOR_CAPTURE),
            Some("V4L2_CID_MIN_BUFFERS_FOR_CAPTURE")
        );
        assert_eq!(control_name(0xdead_beef), None);
    }

    #[test]
    fn decode_dispatch_and_malformed() {
        assert_eq!(decode(0xdead_beef, &[]), None);
        let v = decode(V4L2_CID_STATELESS_H264_SPS, &[0; 3]).unwrap();
        assert_eq!(
            v,
            ControlValue::Malformed {
                expected: <H264Sps as wire::Wire>::SIZE,
                got: 3
            }
        );
        assert!(v.to_string().contains("malformed"));
        let v = decode(V4L2_CID_STATELESS_H264_PPS, &[0; 12]).unwrap();
        assert!(matches!(v, ControlValue::H264Pps(_)));
        assert_eq!(v.codec(), Some("h264"));
        assert_eq!(h264_fields(&v).len(), 11);
        assert!(v.to_string().starts_with("H264 PPS"));
        let j = serde_json::to_value(&v).unwrap();
        assert_eq!(j["H264Pps"]["flags_names"], serde_json::json!([]));
    }

    #[test]
    fn every_struct_control_decodes_zeros_and_rejects_one_byte_more() {
        for &(id, _) in NAMES {
            let Some(size) = struct_size(id) else {
                continue;
            };
            let ok = decode(id, &vec![0; size]).unwrap();
            assert!(!matches!(ok, ControlValue::Malformed { .. }), "{id:#x}");
            assert!(!ok.to_string().is_empty());
            assert!(!fields(&ok).is_empty());
            let bad = decode(id, &vec![0; size + 1]).unwrap();
            assert!(matches!(bad, ControlValue::Malformed { .. }), "{id:#x}");
            assert!(decode(id, &[]).is_some());
        }
    }

    #[test]
    fn scalars() {
        assert_eq!(
            decode(V4L2_CID_MIN_BUFFERS_FOR_CAPTURE, &3i32.to_le_bytes()),
            Some(ControlValue::Integer(3))
        );
        assert_eq!(
            decode(V4L2_CID_STATELESS_H264_DECODE_MODE, &1i32.to_le_bytes()),
            Some(ControlValue::Menu {
                value: 1,
                item: Some("FRAME_BASED")
            })
        );
        assert_eq!(
            decode(V4L2_CID_STATELESS_H264_START_CODE, &7i64.to_le_bytes()),
            Some(ControlValue::Menu {
                value: 7,
                item: None
            })
        );
        assert_eq!(
            decode(V4L2_CID_MIN_BUFFERS_FOR_CAPTURE, &[1, 2]),
            Some(ControlValue::Malformed {
                expected: 4,
                got: 2
            })
        );
    }

    #[test]
    fn no_panics_on_any_size_or_content() {
        let ids: Vec<u32> = NAMES
            .iter()
            .map(|&(id, _)| id)
            .chain([0, 0xdead_beef])
            .collect();
        for id in ids {
            let size = struct_size(id).unwrap_or(4);
            for len in [
                0,
                1,
                3,
                4,
                5,
                8,
                size - 1,
                size,
                size + 1,
                2 * size,
                3 * size + 2,
            ] {
                for fill in [0x00u8, 0x7f, 0x80, 0xff] {
                    let payload = vec![fill; len];
                    if let Some(v) = decode(id, &payload) {
                        let _ = v.to_string();
                        let _ = fields(&v);
                        let _ = visl_fields(&v);
                        let _ = serde_json::to_string(&v).unwrap();
                    }
                }
            }
        }
    }

    #[test]
    fn diff_names_the_changed_fields() {
        let mut p = vec![0u8; 560];
        let a = decode(V4L2_CID_STATELESS_H264_DECODE_PARAMS, &p).unwrap();
        p[514] = 3; // frame_num
        p[32] = 1; // dpb[1].reference_ts
        let b = decode(V4L2_CID_STATELESS_H264_DECODE_PARAMS, &p).unwrap();
        let d = diff(&a, &b);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(d[0].field, "dpb[1].reference_ts");
        assert_eq!(
            (d[1].a.as_deref(), d[1].b.as_deref()),
            (Some("0"), Some("3"))
        );
        assert!(diff(&a, &a).is_empty());
        let other = decode(V4L2_CID_STATELESS_H264_PPS, &[0; 12]).unwrap();
        assert!(diff(&a, &other).iter().any(|c| c.a.is_none()));
    }

    #[test]
    fn dynamic_arrays_decode_every_element() {
        use wire::Wire;
        let two = decode(
            V4L2_CID_STATELESS_HEVC_SLICE_PARAMS,
            &vec![0; 2 * HevcSliceParams::SIZE],
        );
        assert!(matches!(two, Some(ControlValue::HevcSliceParams(ref v)) if v.len() == 2));
        let two = two.unwrap();
        assert!(fields(&two)
            .iter()
            .any(|(k, _)| k == "[1].pred_weight_table.luma_log2_weight_denom"));
        let offsets = decode(
            V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS,
            &[1, 0, 0, 0, 2, 0, 0, 0],
        );
        assert_eq!(
            offsets,
            Some(ControlValue::HevcEntryPointOffsets(vec![1, 2]))
        );
        assert_eq!(
            decode(V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY, &[0; 20]),
            Some(ControlValue::Malformed {
                expected: 16,
                got: 20
            })
        );
    }

    /// The payload size of each struct control (the element size for dynamic arrays).
    fn struct_size(id: u32) -> Option<usize> {
        use wire::Wire;
        Some(match id {
            V4L2_CID_STATELESS_H264_SPS => H264Sps::SIZE,
            V4L2_CID_STATELESS_H264_PPS => H264Pps::SIZE,
            V4L2_CID_STATELESS_H264_SCALING_MATRIX => H264ScalingMatrix::SIZE,
            V4L2_CID_STATELESS_H264_PRED_WEIGHTS => H264PredWeights::SIZE,
            V4L2_CID_STATELESS_H264_SLICE_PARAMS => H264SliceParams::SIZE,
            V4L2_CID_STATELESS_H264_DECODE_PARAMS => H264DecodeParams::SIZE,
            V4L2_CID_STATELESS_MPEG2_SEQUENCE => Mpeg2Sequence::SIZE,
            V4L2_CID_STATELESS_MPEG2_PICTURE => Mpeg2Picture::SIZE,
            V4L2_CID_STATELESS_MPEG2_QUANTISATION => Mpeg2Quantisation::SIZE,
            V4L2_CID_STATELESS_VP8_FRAME => Vp8Frame::SIZE,
            V4L2_CID_STATELESS_FWHT_PARAMS => FwhtParams::SIZE,
            V4L2_CID_STATELESS_VP9_FRAME => Vp9Frame::SIZE,
            V4L2_CID_STATELESS_VP9_COMPRESSED_HDR => Vp9CompressedHdr::SIZE,
            V4L2_CID_STATELESS_HEVC_SPS => HevcSps::SIZE,
            V4L2_CID_STATELESS_HEVC_PPS => HevcPps::SIZE,
            V4L2_CID_STATELESS_HEVC_SLICE_PARAMS => HevcSliceParams::SIZE,
            V4L2_CID_STATELESS_HEVC_SCALING_MATRIX => HevcScalingMatrix::SIZE,
            V4L2_CID_STATELESS_HEVC_DECODE_PARAMS => HevcDecodeParams::SIZE,
            V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS => 4,
            V4L2_CID_COLORIMETRY_HDR10_CLL_INFO => Hdr10CllInfo::SIZE,
            V4L2_CID_COLORIMETRY_HDR10_MASTERING_DISPLAY => Hdr10MasteringDisplay::SIZE,
            V4L2_CID_STATELESS_AV1_SEQUENCE => Av1Sequence::SIZE,
            V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY => Av1TileGroupEntry::SIZE,
            V4L2_CID_STATELESS_AV1_FRAME => Av1Frame::SIZE,
            V4L2_CID_STATELESS_AV1_FILM_GRAIN => Av1FilmGrain::SIZE,
            _ => return None,
        })
    }
}
