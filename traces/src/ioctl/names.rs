//! Names for the enums and flag words found in V4L2, media and DMA-BUF argument structs: fourcc
//! codes, buffer types, memory types, fields, colorimetry, and the flag sets, printed without
//! their common prefix (`VIDEO_OUTPUT_MPLANE`, not `V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE`).

/// A table of `(value, name)` pairs.
pub type Table = &'static [(u32, &'static str)];

/// The name of `value` in `table`, if it has one.
pub fn lookup(table: Table, value: u32) -> Option<&'static str> {
    table.iter().find(|(v, _)| *v == value).map(|(_, n)| *n)
}

/// The name of `value` in `table`, or the number in decimal.
pub fn enum_name(table: Table, value: u32) -> String {
    lookup(table, value)
        .map(str::to_string)
        .unwrap_or_else(|| value.to_string())
}

/// Flag names joined with `|` (bits without a name as one hex remainder); `0` for none.
pub fn flags(table: Table, value: u32) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut rest = value;
    for &(bit, name) in table {
        if bit != 0 && value & bit == bit && rest & bit != 0 {
            parts.push(name.to_string());
            rest &= !bit;
        }
    }
    if rest != 0 {
        parts.push(format!("{rest:#x}"));
    }
    if parts.is_empty() {
        "0".to_string()
    } else {
        parts.join("|")
    }
}

/// A fourcc as its four characters (`S264`, `NV12`), with non-printable bytes escaped and the
/// big-endian marker bit shown as `-BE`.
pub fn fourcc(code: u32) -> String {
    let be = code & (1 << 31) != 0;
    let bytes = (code & !(1 << 31)).to_le_bytes();
    let mut s = String::with_capacity(8);
    for b in bytes {
        if b.is_ascii_graphic() || b == b' ' {
            s.push(b as char);
        } else {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    if be {
        s.push_str("-BE");
    }
    s
}

/// The fourcc code of four characters, e.g. `fourcc_code(b"NV12")`.
pub const fn fourcc_code(c: &[u8; 4]) -> u32 {
    u32::from_le_bytes(*c)
}

/// `enum v4l2_buf_type`.
pub const BUF_TYPES: Table = &[
    (1, "VIDEO_CAPTURE"),
    (2, "VIDEO_OUTPUT"),
    (3, "VIDEO_OVERLAY"),
    (4, "VBI_CAPTURE"),
    (5, "VBI_OUTPUT"),
    (6, "SLICED_VBI_CAPTURE"),
    (7, "SLICED_VBI_OUTPUT"),
    (8, "VIDEO_OUTPUT_OVERLAY"),
    (9, "VIDEO_CAPTURE_MPLANE"),
    (10, "VIDEO_OUTPUT_MPLANE"),
    (11, "SDR_CAPTURE"),
    (12, "SDR_OUTPUT"),
    (13, "META_CAPTURE"),
    (14, "META_OUTPUT"),
    (0x80, "PRIVATE"),
];

/// `V4L2_BUF_TYPE_VIDEO_CAPTURE`.
pub const BUF_TYPE_VIDEO_CAPTURE: u32 = uapi::V4L2_BUF_TYPE_VIDEO_CAPTURE;
/// `V4L2_BUF_TYPE_VIDEO_OUTPUT`.
pub const BUF_TYPE_VIDEO_OUTPUT: u32 = uapi::V4L2_BUF_TYPE_VIDEO_OUTPUT;
/// `V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE`.
pub const BUF_TYPE_VIDEO_CAPTURE_MPLANE: u32 = uapi::V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
/// `V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE`.
pub const BUF_TYPE_VIDEO_OUTPUT_MPLANE: u32 = uapi::V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;

/// Whether a buffer type uses `v4l2_pix_format_mplane` and plane arrays.
pub const fn is_mplane(buf_type: u32) -> bool {
    matches!(
        buf_type,
        BUF_TYPE_VIDEO_CAPTURE_MPLANE | BUF_TYPE_VIDEO_OUTPUT_MPLANE
    )
}

/// Whether a buffer type is an OUTPUT (user space → device) queue, as `V4L2_TYPE_IS_OUTPUT`.
pub const fn is_output(buf_type: u32) -> bool {
    use uapi::*;
    matches!(
        buf_type,
        V4L2_BUF_TYPE_VIDEO_OUTPUT
            | V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE
            | V4L2_BUF_TYPE_VIDEO_OVERLAY
            | V4L2_BUF_TYPE_VIDEO_OUTPUT_OVERLAY
            | V4L2_BUF_TYPE_VBI_OUTPUT
            | V4L2_BUF_TYPE_SLICED_VBI_OUTPUT
            | V4L2_BUF_TYPE_SDR_OUTPUT
            | V4L2_BUF_TYPE_META_OUTPUT
    )
}

/// `enum v4l2_memory`.
pub const MEMORY: Table = &[(1, "MMAP"), (2, "USERPTR"), (3, "OVERLAY"), (4, "DMABUF")];
/// `V4L2_MEMORY_MMAP`.
pub const MEMORY_MMAP: u32 = uapi::V4L2_MEMORY_MMAP;
/// `V4L2_MEMORY_USERPTR`.
pub const MEMORY_USERPTR: u32 = uapi::V4L2_MEMORY_USERPTR;
/// `V4L2_MEMORY_DMABUF`.
pub const MEMORY_DMABUF: u32 = uapi::V4L2_MEMORY_DMABUF;

/// `enum v4l2_field`.
pub const FIELDS: Table = &[
    (0, "ANY"),
    (1, "NONE"),
    (2, "TOP"),
    (3, "BOTTOM"),
    (4, "INTERLACED"),
    (5, "SEQ_TB"),
    (6, "SEQ_BT"),
    (7, "ALTERNATE"),
    (8, "INTERLACED_TB"),
    (9, "INTERLACED_BT"),
];

/// `enum v4l2_colorspace`.
pub const COLORSPACES: Table = &[
    (0, "DEFAULT"),
    (1, "SMPTE170M"),
    (2, "SMPTE240M"),
    (3, "REC709"),
    (4, "BT878"),
    (5, "470_SYSTEM_M"),
    (6, "470_SYSTEM_BG"),
    (7, "JPEG"),
    (8, "SRGB"),
    (9, "OPRGB"),
    (10, "BT2020"),
    (11, "RAW"),
    (12, "DCI_P3"),
];

/// `enum v4l2_ycbcr_encoding`.
pub const YCBCR_ENCS: Table = &[
    (0, "DEFAULT"),
    (1, "601"),
    (2, "709"),
    (3, "XV601"),
    (4, "XV709"),
    (5, "SYCC"),
    (6, "BT2020"),
    (7, "BT2020_CONST_LUM"),
    (8, "SMPTE240M"),
];

/// `enum v4l2_quantization`.
pub const QUANTIZATIONS: Table = &[(0, "DEFAULT"), (1, "FULL_RANGE"), (2, "LIM_RANGE")];

/// `enum v4l2_xfer_func`.
pub const XFER_FUNCS: Table = &[
    (0, "DEFAULT"),
    (1, "709"),
    (2, "SRGB"),
    (3, "OPRGB"),
    (4, "SMPTE240M"),
    (5, "NONE"),
    (6, "DCI_P3"),
    (7, "SMPTE2084"),
];

/// `V4L2_CAP_*` (capabilities and device_caps).
pub const CAPS: Table = &[
    (0x0000_0001, "VIDEO_CAPTURE"),
    (0x0000_0002, "VIDEO_OUTPUT"),
    (0x0000_0004, "VIDEO_OVERLAY"),
    (0x0000_0010, "VBI_CAPTURE"),
    (0x0000_0020, "VBI_OUTPUT"),
    (0x0000_0040, "SLICED_VBI_CAPTURE"),
    (0x0000_0080, "SLICED_VBI_OUTPUT"),
    (0x0000_0100, "RDS_CAPTURE"),
    (0x0000_0200, "VIDEO_OUTPUT_OVERLAY"),
    (0x0000_0400, "HW_FREQ_SEEK"),
    (0x0000_0800, "RDS_OUTPUT"),
    (0x0000_1000, "VIDEO_CAPTURE_MPLANE"),
    (0x0000_2000, "VIDEO_OUTPUT_MPLANE"),
    (0x0000_4000, "VIDEO_M2M_MPLANE"),
    (0x0000_8000, "VIDEO_M2M"),
    (0x0001_0000, "TUNER"),
    (0x0002_0000, "AUDIO"),
    (0x0004_0000, "RADIO"),
    (0x0008_0000, "MODULATOR"),
    (0x0010_0000, "SDR_CAPTURE"),
    (0x0020_0000, "EXT_PIX_FORMAT"),
    (0x0040_0000, "SDR_OUTPUT"),
    (0x0080_0000, "META_CAPTURE"),
    (0x0100_0000, "READWRITE"),
    (0x0200_0000, "EDID"),
    (0x0400_0000, "STREAMING"),
    (0x0800_0000, "META_OUTPUT"),
    (0x1000_0000, "TOUCH"),
    (0x2000_0000, "IO_MC"),
    (0x8000_0000, "DEVICE_CAPS"),
];

/// `V4L2_FMT_FLAG_*` (v4l2_fmtdesc.flags).
pub const FMT_FLAGS: Table = &[
    (0x0001, "COMPRESSED"),
    (0x0002, "EMULATED"),
    (0x0004, "CONTINUOUS_BYTESTREAM"),
    (0x0008, "DYN_RESOLUTION"),
    (0x0010, "ENC_CAP_FRAME_INTERVAL"),
    (0x0020, "CSC_COLORSPACE"),
    (0x0040, "CSC_XFER_FUNC"),
    (0x0080, "CSC_YCBCR_ENC"),
    (0x0100, "CSC_QUANTIZATION"),
    (0x0200, "META_LINE_BASED"),
];

/// `V4L2_PIX_FMT_FLAG_*` (v4l2_pix_format.flags).
pub const PIX_FMT_FLAGS: Table = &[(0x1, "PREMUL_ALPHA"), (0x2, "SET_CSC")];

/// `V4L2_BUF_CAP_*` (requestbuffers / create_buffers capabilities).
pub const BUF_CAPS: Table = &[
    (1 << 0, "SUPPORTS_MMAP"),
    (1 << 1, "SUPPORTS_USERPTR"),
    (1 << 2, "SUPPORTS_DMABUF"),
    (1 << 3, "SUPPORTS_REQUESTS"),
    (1 << 4, "SUPPORTS_ORPHANED_BUFS"),
    (1 << 5, "SUPPORTS_M2M_HOLD_CAPTURE_BUF"),
    (1 << 6, "SUPPORTS_MMAP_CACHE_HINTS"),
    (1 << 7, "SUPPORTS_MAX_NUM_BUFFERS"),
    (1 << 8, "SUPPORTS_REMOVE_BUFS"),
];

/// `V4L2_MEMORY_FLAG_*` (requestbuffers / create_buffers flags).
pub const MEMORY_FLAGS: Table = &[(1, "NON_COHERENT")];

/// `V4L2_BUF_FLAG_*`, timestamp-type bits excluded (see [`buf_flags`]).
pub const BUF_FLAGS: Table = &[
    (0x0000_0001, "MAPPED"),
    (0x0000_0002, "QUEUED"),
    (0x0000_0004, "DONE"),
    (0x0000_0008, "KEYFRAME"),
    (0x0000_0010, "PFRAME"),
    (0x0000_0020, "BFRAME"),
    (0x0000_0040, "ERROR"),
    (0x0000_0080, "IN_REQUEST"),
    (0x0000_0100, "TIMECODE"),
    (0x0000_0200, "M2M_HOLD_CAPTURE_BUF"),
    (0x0000_0400, "PREPARED"),
    (0x0000_0800, "NO_CACHE_INVALIDATE"),
    (0x0000_1000, "NO_CACHE_CLEAN"),
    (0x0010_0000, "LAST"),
    (0x0080_0000, "REQUEST_FD"),
];

/// `V4L2_BUF_FLAG_REQUEST_FD`.
pub const BUF_FLAG_REQUEST_FD: u32 = 0x0080_0000;
/// `V4L2_BUF_FLAG_TIMESTAMP_MASK`.
pub const BUF_FLAG_TIMESTAMP_MASK: u32 = 0x0000_e000;
/// `V4L2_BUF_FLAG_TSTAMP_SRC_MASK`.
pub const BUF_FLAG_TSTAMP_SRC_MASK: u32 = 0x0007_0000;

/// Buffer flags with the timestamp type and source spelled out (`TIMESTAMP_COPY`, `TSTAMP_SRC_SOE`).
pub fn buf_flags(value: u32) -> String {
    let mut s = flags(
        BUF_FLAGS,
        value & !(BUF_FLAG_TIMESTAMP_MASK | BUF_FLAG_TSTAMP_SRC_MASK),
    );
    let ts = match value & BUF_FLAG_TIMESTAMP_MASK {
        0 => None,
        0x2000 => Some("TIMESTAMP_MONOTONIC".to_string()),
        0x4000 => Some("TIMESTAMP_COPY".to_string()),
        other => Some(format!("TIMESTAMP_{other:#x}")),
    };
    let src = match value & BUF_FLAG_TSTAMP_SRC_MASK {
        0 => None,
        0x1_0000 => Some("TSTAMP_SRC_SOE".to_string()),
        other => Some(format!("TSTAMP_SRC_{other:#x}")),
    };
    for extra in [ts, src].into_iter().flatten() {
        if s == "0" {
            s = extra;
        } else {
            s.push('|');
            s.push_str(&extra);
        }
    }
    s
}

/// `V4L2_CTRL_WHICH_*` (v4l2_ext_controls.which); other values are a control class.
pub const CTRL_WHICH: Table = &[
    (0, "CUR_VAL"),
    (0x0f00_0000, "DEF_VAL"),
    (0x0f01_0000, "REQUEST_VAL"),
];
/// `V4L2_CTRL_WHICH_REQUEST_VAL`.
pub const CTRL_WHICH_REQUEST_VAL: u32 = 0x0f01_0000;

/// `enum v4l2_ctrl_type`.
pub const CTRL_TYPES: Table = &[
    (1, "INTEGER"),
    (2, "BOOLEAN"),
    (3, "MENU"),
    (4, "BUTTON"),
    (5, "INTEGER64"),
    (6, "CTRL_CLASS"),
    (7, "STRING"),
    (8, "BITMASK"),
    (9, "INTEGER_MENU"),
    (0x0100, "U8"),
    (0x0101, "U16"),
    (0x0102, "U32"),
    (0x0106, "AREA"),
    (0x0110, "HDR10_CLL_INFO"),
    (0x0111, "HDR10_MASTERING_DISPLAY"),
    (0x0200, "H264_SPS"),
    (0x0201, "H264_PPS"),
    (0x0202, "H264_SCALING_MATRIX"),
    (0x0203, "H264_SLICE_PARAMS"),
    (0x0204, "H264_DECODE_PARAMS"),
    (0x0205, "H264_PRED_WEIGHTS"),
    (0x0220, "FWHT_PARAMS"),
    (0x0240, "VP8_FRAME"),
    (0x0250, "MPEG2_QUANTISATION"),
    (0x0251, "MPEG2_SEQUENCE"),
    (0x0252, "MPEG2_PICTURE"),
    (0x0260, "VP9_COMPRESSED_HDR"),
    (0x0261, "VP9_FRAME"),
    (0x0270, "HEVC_SPS"),
    (0x0271, "HEVC_PPS"),
    (0x0272, "HEVC_SLICE_PARAMS"),
    (0x0273, "HEVC_SCALING_MATRIX"),
    (0x0274, "HEVC_DECODE_PARAMS"),
    (0x0280, "AV1_SEQUENCE"),
    (0x0281, "AV1_TILE_GROUP_ENTRY"),
    (0x0282, "AV1_FRAME"),
    (0x0283, "AV1_FILM_GRAIN"),
];

/// `V4L2_CTRL_FLAG_*`.
pub const CTRL_FLAGS: Table = &[
    (0x0001, "DISABLED"),
    (0x0002, "GRABBED"),
    (0x0004, "READ_ONLY"),
    (0x0008, "UPDATE"),
    (0x0010, "INACTIVE"),
    (0x0020, "SLIDER"),
    (0x0040, "WRITE_ONLY"),
    (0x0080, "VOLATILE"),
    (0x0100, "HAS_PAYLOAD"),
    (0x0200, "EXECUTE_ON_WRITE"),
    (0x0400, "MODIFY_LAYOUT"),
    (0x0800, "DYNAMIC_ARRAY"),
    (0x4000_0000, "NEXT_COMPOUND"),
    (0x8000_0000, "NEXT_CTRL"),
];

/// `V4L2_EVENT_*` types.
pub const EVENT_TYPES: Table = &[
    (0, "ALL"),
    (1, "VSYNC"),
    (2, "EOS"),
    (3, "CTRL"),
    (4, "FRAME_SYNC"),
    (5, "SOURCE_CHANGE"),
    (6, "MOTION_DET"),
];
/// `V4L2_EVENT_CTRL`.
pub const EVENT_CTRL: u32 = 3;
/// `V4L2_EVENT_SOURCE_CHANGE`.
pub const EVENT_SOURCE_CHANGE: u32 = 5;

/// `V4L2_EVENT_SUB_FL_*`.
pub const EVENT_SUB_FLAGS: Table = &[(1, "SEND_INITIAL"), (2, "ALLOW_FEEDBACK")];
/// `V4L2_EVENT_SRC_CH_*`.
pub const EVENT_SRC_CHANGES: Table = &[(1, "RESOLUTION")];
/// `V4L2_EVENT_CTRL_CH_*`.
pub const EVENT_CTRL_CHANGES: Table =
    &[(1, "VALUE"), (2, "FLAGS"), (4, "RANGE"), (8, "DIMENSIONS")];

/// `V4L2_DEC_CMD_*`.
pub const DEC_CMDS: Table = &[
    (0, "START"),
    (1, "STOP"),
    (2, "PAUSE"),
    (3, "RESUME"),
    (4, "FLUSH"),
];
/// `V4L2_ENC_CMD_*`.
pub const ENC_CMDS: Table = &[(0, "START"), (1, "STOP"), (2, "PAUSE"), (3, "RESUME")];

/// `enum v4l2_frmsizetypes`.
pub const FRMSIZE_TYPES: Table = &[(1, "DISCRETE"), (2, "CONTINUOUS"), (3, "STEPWISE")];

/// `V4L2_SEL_TGT_*`.
pub const SEL_TARGETS: Table = &[
    (0x0000, "CROP"),
    (0x0001, "CROP_DEFAULT"),
    (0x0002, "CROP_BOUNDS"),
    (0x0003, "NATIVE_SIZE"),
    (0x0100, "COMPOSE"),
    (0x0101, "COMPOSE_DEFAULT"),
    (0x0102, "COMPOSE_BOUNDS"),
    (0x0103, "COMPOSE_PADDED"),
];

/// `MEDIA_ENT_F_*` (entity functions a decoder topology shows, and a few more).
pub const MEDIA_ENT_FUNCTIONS: Table = &[
    (0x0000_0000, "UNKNOWN"),
    (0x0001_0001, "IO_V4L"),
    (0x0002_0000, "V4L2_SUBDEV_UNKNOWN"),
    (0x0002_0001, "CAM_SENSOR"),
    (0x0000_4001, "PROC_VIDEO_COMPOSER"),
    (0x0000_4002, "PROC_VIDEO_PIXEL_FORMATTER"),
    (0x0000_4003, "PROC_VIDEO_PIXEL_ENC_CONV"),
    (0x0000_4004, "PROC_VIDEO_LUT"),
    (0x0000_4005, "PROC_VIDEO_SCALER"),
    (0x0000_4006, "PROC_VIDEO_STATISTICS"),
    (0x0000_4007, "PROC_VIDEO_ENCODER"),
    (0x0000_4008, "PROC_VIDEO_DECODER"),
    (0x0000_4009, "PROC_VIDEO_ISP"),
];
/// `MEDIA_ENT_F_PROC_VIDEO_DECODER`.
pub const MEDIA_ENT_F_PROC_VIDEO_DECODER: u32 = 0x4008;

/// `MEDIA_ENT_FL_*`.
pub const MEDIA_ENT_FLAGS: Table = &[(1, "DEFAULT"), (2, "CONNECTOR")];

/// `MEDIA_INTF_T_*`.
pub const MEDIA_INTF_TYPES: Table = &[
    (0x100, "DVB_FE"),
    (0x101, "DVB_DEMUX"),
    (0x102, "DVB_DVR"),
    (0x103, "DVB_CA"),
    (0x104, "DVB_NET"),
    (0x200, "V4L_VIDEO"),
    (0x201, "V4L_VBI"),
    (0x202, "V4L_RADIO"),
    (0x203, "V4L_SUBDEV"),
    (0x204, "V4L_SWRADIO"),
    (0x205, "V4L_TOUCH"),
    (0x300, "ALSA_PCM_CAPTURE"),
    (0x301, "ALSA_PCM_PLAYBACK"),
    (0x302, "ALSA_CONTROL"),
];
/// `MEDIA_INTF_T_V4L_VIDEO`.
pub const MEDIA_INTF_T_V4L_VIDEO: u32 = 0x200;

/// `MEDIA_PAD_FL_*`.
pub const MEDIA_PAD_FLAGS: Table = &[(1, "SINK"), (2, "SOURCE"), (4, "MUST_CONNECT")];

/// `MEDIA_LNK_FL_*` flag bits (the link type is in bits 28–31, see [`MEDIA_LNK_TYPES`]).
pub const MEDIA_LNK_FLAGS: Table = &[(1, "ENABLED"), (2, "IMMUTABLE"), (4, "DYNAMIC")];
/// `MEDIA_LNK_FL_*_LINK` link types (value of bits 28–31).
pub const MEDIA_LNK_TYPES: Table = &[
    (0, "DATA_LINK"),
    (1, "INTERFACE_LINK"),
    (2, "ANCILLARY_LINK"),
];

/// `DMA_BUF_SYNC_*`: READ/WRITE bits, END (START is 0).
pub fn dma_buf_sync_flags(value: u64) -> String {
    let mut s = String::from(if value & 4 != 0 { "END" } else { "START" });
    match value & 3 {
        1 => s.push_str("|READ"),
        2 => s.push_str("|WRITE"),
        3 => s.push_str("|RW"),
        _ => {}
    }
    let rest = value & !7;
    if rest != 0 {
        s.push_str(&format!("|{rest:#x}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fourccs() {
        assert_eq!(fourcc(fourcc_code(b"S264")), "S264");
        assert_eq!(fourcc(fourcc_code(b"NV12")), "NV12");
        assert_eq!(fourcc(0), "\\x00\\x00\\x00\\x00");
        assert_eq!(fourcc(fourcc_code(b"AR15") | 1 << 31), "AR15-BE");
    }

    #[test]
    fn flag_words() {
        assert_eq!(flags(CAPS, 0), "0");
        assert_eq!(
            flags(CAPS, 0x8420_4000),
            "VIDEO_M2M_MPLANE|EXT_PIX_FORMAT|STREAMING|DEVICE_CAPS"
        );
        assert_eq!(flags(MEDIA_PAD_FLAGS, 0x11), "SINK|0x10");
        assert_eq!(buf_flags(0x0080_4001), "MAPPED|REQUEST_FD|TIMESTAMP_COPY");
        assert_eq!(buf_flags(0x2000), "TIMESTAMP_MONOTONIC");
        assert_eq!(dma_buf_sync_flags(4 | 1), "END|READ");
        assert_eq!(dma_buf_sync_flags(3), "START|RW");
    }

    #[test]
    fn enums() {
        assert_eq!(enum_name(BUF_TYPES, 10), "VIDEO_OUTPUT_MPLANE");
        assert_eq!(enum_name(BUF_TYPES, 99), "99");
        assert!(is_output(10) && !is_output(9) && is_mplane(9));
    }
}
