//! FWHT stateless control (`V4L2_CID_STATELESS_FWHT_PARAMS`, vicodec's stateless decoder):
//! the 6.12 uapi struct, a one-line summary, and the flattening visl's `v4l2_ctrl_fwht_params`
//! event prints (drivers/media/test-drivers/visl/visl-trace-fwht.h).

#[cfg(any(test, feature = "testing"))]
use super::visl_fmt::{self as vf, kv};
use super::wire::{wire_struct, FlagTable};

/// `V4L2_FWHT_FL_*`: the single-bit flags, then the pixel-encoding values (bits 19–20, the
/// widest mask first). The component count (bits 16–18) is [`FwhtParams::components`].
pub const FLAGS: FlagTable = &[
    (1 << 0, "IS_INTERLACED"),
    (1 << 1, "IS_BOTTOM_FIRST"),
    (1 << 2, "IS_ALTERNATE"),
    (1 << 3, "IS_BOTTOM_FIELD"),
    (1 << 4, "LUMA_IS_UNCOMPRESSED"),
    (1 << 5, "CB_IS_UNCOMPRESSED"),
    (1 << 6, "CR_IS_UNCOMPRESSED"),
    (1 << 7, "CHROMA_FULL_HEIGHT"),
    (1 << 8, "CHROMA_FULL_WIDTH"),
    (1 << 9, "ALPHA_IS_UNCOMPRESSED"),
    (1 << 10, "I_FRAME"),
    (3 << 19, "PIXENC_HSV"),
    (2 << 19, "PIXENC_RGB"),
    (1 << 19, "PIXENC_YUV"),
];

#[cfg(any(test, feature = "testing"))]
/// The flag table of visl's event (it omits the CHROMA_FULL_* bits and the component count,
/// which then print as a leftover hex number).
const VISL_FLAGS: FlagTable = &[
    (1 << 0, "IS_INTERLACED"),
    (1 << 1, "IS_BOTTOM_FIRST"),
    (1 << 2, "IS_ALTERNATE"),
    (1 << 3, "IS_BOTTOM_FIELD"),
    (1 << 4, "LUMA_IS_UNCOMPRESSED"),
    (1 << 5, "CB_IS_UNCOMPRESSED"),
    (1 << 6, "CR_IS_UNCOMPRESSED"),
    (1 << 9, "ALPHA_IS_UNCOMPRESSED"),
    (1 << 10, "I_FRAME"),
    (3 << 19, "PIXENC_HSV"),
    (2 << 19, "PIXENC_RGB"),
    (1 << 19, "PIXENC_YUV"),
];

wire_struct! {
    /// `struct v4l2_ctrl_fwht_params`: one FWHT frame header; the reference is a CAPTURE
    /// timestamp (ns).
    pub struct FwhtParams = "v4l2_ctrl_fwht_params" {
        pub backward_ref_ts: u64,
        pub version: u32,
        pub width: u32,
        pub height: u32,
        pub flags: u32,
        pub colorspace: u32,
        pub xfer_func: u32,
        pub ycbcr_enc: u32,
        pub quantization: u32,
    }
}

impl FwhtParams {
    /// The number of components (`V4L2_FWHT_FL_COMPONENTS_NUM_MSK` + 1).
    pub fn components(&self) -> u32 {
        ((self.flags >> 16) & 0x7) + 1
    }

    /// The flags' names (the component-count bits excluded).
    pub fn flag_names(&self) -> Vec<String> {
        super::wire::flag_names(u64::from(self.flags & !(0x7 << 16)), FLAGS)
    }
}

/// Summary of the parameters.
pub fn summary(p: &FwhtParams) -> String {
    format!(
        "FWHT PARAMS v{} {}x{} components={} ref={} flags={}",
        p.version,
        p.width,
        p.height,
        p.components(),
        p.backward_ref_ts,
        p.flag_names().join("|")
    )
}

#[cfg(any(test, feature = "testing"))]
/// Fields as `v4l2_ctrl_fwht_params` prints them.
pub fn visl_params(p: &FwhtParams) -> Vec<(String, String)> {
    vec![
        kv("backward_ref_ts", p.backward_ref_ts),
        kv("version", p.version),
        kv("width", p.width),
        kv("height", p.height),
        kv("flags", vf::flags(u64::from(p.flags), VISL_FLAGS)),
        kv("colorspace", p.colorspace),
        kv("xfer_func", p.xfer_func),
        kv("ycbcr_enc", p.ycbcr_enc),
        kv("quantization", p.quantization),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controls::visl_ftrace::parse_line;
    use crate::controls::wire::Wire;

    #[test]
    fn params_payload_and_event() {
        let mut p = vec![0u8; FwhtParams::SIZE];
        p[0..8].copy_from_slice(&42_000u64.to_le_bytes());
        p[8..12].copy_from_slice(&3u32.to_le_bytes());
        p[12..16].copy_from_slice(&640u32.to_le_bytes());
        p[16..20].copy_from_slice(&480u32.to_le_bytes());
        let flags: u32 = (1 << 10) | (2 << 16) | (1 << 19);
        p[20..24].copy_from_slice(&flags.to_le_bytes());
        p[24..28].copy_from_slice(&8u32.to_le_bytes());
        let v = FwhtParams::parse(&p).unwrap();
        assert_eq!((v.width, v.height, v.version), (640, 480, 3));
        assert_eq!(v.components(), 3);
        assert_eq!(v.flag_names(), vec!["I_FRAME", "PIXENC_YUV"]);
        assert!(summary(&v).contains("640x480 components=3"));
        // TP_printk("backward_ref_ts %llu version %u width %u height %u flags %s colorspace %u "
        //           "xfer_func %u ycbcr_enc %u quantization %u", …)
        let ev = parse_line(
            "vicodec-1 [000] ..... 1.5: v4l2_ctrl_fwht_params: backward_ref_ts 42000 version 3 width 640 \
             height 480 flags I_FRAME|PIXENC_YUV|0x20000 colorspace 8 xfer_func 0 ycbcr_enc 0 quantization 0",
        )
        .unwrap();
        assert_eq!(ev.fields, visl_params(&v));
        let ev = parse_line(
            "x-1 [000] ..... 1.5: v4l2_ctrl_fwht_params: backward_ref_ts 0 version 0 width 0 height 0 flags  \
             colorspace 0 xfer_func 0 ycbcr_enc 0 quantization 0",
        )
        .unwrap();
        assert_eq!(ev.get("flags"), Some(""));
        assert_eq!(ev.get("colorspace"), Some("0"));
        assert!(FwhtParams::parse(&p[1..]).is_err());
    }
}
