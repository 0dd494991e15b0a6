//! The codec-control catalogue: names for every control a stateless decoder stack uses, and
//! typed decoders for the compound (struct) payloads of the stateless codec controls, checked
//! against the kernel 6.12 uapi layouts.
//!
//! Entry points: [`control_name`], [`decode`] (payload bytes → [`ControlValue`]), its
//! `Display` one-liners for `vatrace dump`, [`fields`] (flat `(path, value)` pairs) and
//! [`visl_fields`] / [`h264_fields`] (the same, with the names and value formats visl's ftrace
//! events print, to compare against [`visl_ftrace`]'s parse of those events).

pub mod fwht;
pub mod h264;
pub mod ids;
mod menus;
pub mod mpeg2;
pub mod visl_fmt;
pub mod visl_ftrace;
pub mod vp8;
pub mod wire;

#[cfg(test)]
mod layout;

use std::fmt;

pub use h264::{
    H264DecodeParams, H264DpbEntry, H264PredWeights, H264Pps, H264Reference, H264ScalingMatrix,
    H264SliceParams, H264Sps, H264WeightFactors,
};
pub use fwht::FwhtParams;
pub use mpeg2::{Mpeg2Picture, Mpeg2Quantisation, Mpeg2Sequence};
pub use vp8::Vp8Frame;

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
    /// A menu control: the item index and, when known, the item's name.
    Menu { value: i64, item: Option<&'static str> },
    /// An integer, boolean or integer-menu control.
    Integer(i64),
    /// A payload whose size does not fit the control: `expected` is the struct size (for a
    /// dynamic array, the element size the payload should be a non-zero multiple of).
    Malformed { expected: usize, got: usize },
}

/// Decodes one control's payload: the pointed-to bytes of a compound control, or the 4-byte
/// `value` (8-byte `value64` also accepted) of an integer or menu control. `None` for ids the
/// catalogue does not decode; a payload of the wrong size gives [`ControlValue::Malformed`].
pub fn decode(id: u32, payload: &[u8]) -> Option<ControlValue> {
    use ids::*;
    fn one<T>(payload: &[u8], parse: fn(&[u8]) -> Result<T, (usize, usize)>, wrap: fn(Box<T>) -> ControlValue) -> ControlValue {
        match parse(payload) {
            Ok(v) => wrap(Box::new(v)),
            Err((expected, got)) => ControlValue::Malformed { expected, got },
        }
    }
    Some(match id {
        V4L2_CID_STATELESS_H264_SPS => one(payload, H264Sps::parse, ControlValue::H264Sps),
        V4L2_CID_STATELESS_H264_PPS => one(payload, H264Pps::parse, ControlValue::H264Pps),
        V4L2_CID_STATELESS_H264_SCALING_MATRIX => {
            one(payload, H264ScalingMatrix::parse, ControlValue::H264ScalingMatrix)
        }
        V4L2_CID_STATELESS_H264_PRED_WEIGHTS => {
            one(payload, H264PredWeights::parse, ControlValue::H264PredWeights)
        }
        V4L2_CID_STATELESS_H264_SLICE_PARAMS => {
            one(payload, H264SliceParams::parse, ControlValue::H264SliceParams)
        }
        V4L2_CID_STATELESS_H264_DECODE_PARAMS => {
            one(payload, H264DecodeParams::parse, ControlValue::H264DecodeParams)
        }
        V4L2_CID_STATELESS_MPEG2_SEQUENCE => {
            one(payload, Mpeg2Sequence::parse, ControlValue::Mpeg2Sequence)
        }
        V4L2_CID_STATELESS_MPEG2_PICTURE => {
            one(payload, Mpeg2Picture::parse, ControlValue::Mpeg2Picture)
        }
        V4L2_CID_STATELESS_MPEG2_QUANTISATION => {
            one(payload, Mpeg2Quantisation::parse, ControlValue::Mpeg2Quantisation)
        }
        V4L2_CID_STATELESS_VP8_FRAME => one(payload, Vp8Frame::parse, ControlValue::Vp8Frame),
        V4L2_CID_STATELESS_FWHT_PARAMS => one(payload, FwhtParams::parse, ControlValue::FwhtParams),
        _ => return menus::decode_scalar(id, payload),
    })
}

/// Reads an integer control's value: 4 bytes (`value`) or 8 bytes (`value64`), little-endian.
pub(crate) fn scalar(payload: &[u8]) -> Result<i64, ControlValue> {
    match payload.len() {
        4 => Ok(i64::from(i32::from_le_bytes([payload[0], payload[1], payload[2], payload[3]]))),
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
        ControlValue::Menu { value, item } => {
            vec![kv("value", value), kv("item", item.unwrap_or(""))]
        }
        ControlValue::Integer(v) => vec![kv("value", v)],
        ControlValue::Malformed { expected, got } => {
            vec![kv("malformed.expected", expected), kv("malformed.got", got)]
        }
    }
}

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
        _ => Vec::new(),
    }
}

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
            Menu { .. } | Integer(_) | Malformed { .. } => &[],
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
            Menu { value, item: Some(name) } => write!(f, "{name} ({value})"),
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
        assert_eq!(control_name(V4L2_CID_STATELESS_H264_SPS), Some("V4L2_CID_STATELESS_H264_SPS"));
        assert_eq!(control_name(V4L2_CID_MIN_BUFFERS_FOR_CAPTURE), Some("V4L2_CID_MIN_BUFFERS_FOR_CAPTURE"));
        assert_eq!(control_name(0xdead_beef), None);
    }

    #[test]
    fn decode_dispatch_and_malformed() {
        assert_eq!(decode(0xdead_beef, &[]), None);
        let v = decode(V4L2_CID_STATELESS_H264_SPS, &[0; 3]).unwrap();
        assert_eq!(v, ControlValue::Malformed { expected: <H264Sps as wire::Wire>::SIZE, got: 3 });
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
            let Some(size) = struct_size(id) else { continue };
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
        assert_eq!(decode(V4L2_CID_MIN_BUFFERS_FOR_CAPTURE, &3i32.to_le_bytes()), Some(ControlValue::Integer(3)));
        assert_eq!(
            decode(V4L2_CID_STATELESS_H264_DECODE_MODE, &1i32.to_le_bytes()),
            Some(ControlValue::Menu { value: 1, item: Some("FRAME_BASED") })
        );
        assert_eq!(
            decode(V4L2_CID_STATELESS_H264_START_CODE, &7i64.to_le_bytes()),
            Some(ControlValue::Menu { value: 7, item: None })
        );
        assert_eq!(
            decode(V4L2_CID_MIN_BUFFERS_FOR_CAPTURE, &[1, 2]),
            Some(ControlValue::Malformed { expected: 4, got: 2 })
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
            _ => return None,
        })
    }
}
