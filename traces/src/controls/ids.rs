//! Control ids and names: every codec-class, stateless-codec-class and colorimetry-class
//! control of the 6.12 uapi, plus the user-class controls a stateless decoder stack touches
//! (`V4L2_CID_MIN_BUFFERS_FOR_*`), re-exported from the generated `uapi` crate
//! (`cargo xtask uapi`), with `NAMES`, (id, name) sorted by id.

pub use uapi::controls::*;

/// The `V4L2_CID_*` name of a control id, if it is in the table.
pub fn name(id: u32) -> Option<&'static str> {
    NAMES
        .binary_search_by_key(&id, |&(i, _)| i)
        .ok()
        .map(|i| NAMES[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(NAMES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn known_values() {
        assert_eq!(V4L2_CID_STATELESS_H264_SPS, 0x00a4_0902);
        assert_eq!(V4L2_CID_MIN_BUFFERS_FOR_CAPTURE, 0x0098_0927);
        assert_eq!(
            name(0x00a4_0907),
            Some("V4L2_CID_STATELESS_H264_DECODE_PARAMS")
        );
        assert_eq!(name(0x00a4_09dc), Some("V4L2_CID_STATELESS_MPEG2_SEQUENCE"));
        assert_eq!(name(0x1234), None);
    }
}
