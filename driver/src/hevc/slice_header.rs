//! The parts of an HEVC slice segment header (H.265 7.3.6.1) that V4L2 wants and VA-API does not
//! carry: the NAL unit header, `no_output_of_prior_pics_flag`, the PPS id, and the sizes in bits
//! of the short- and long-term reference picture sets (with `NumDeltaPocs[RefRpsIdx]` of an
//! inter-predicted slice RPS), and the entry points (FFmpeg leaves VA's count at 0 and VA has no
//! field for the offsets). The fields between are read only to get there: their values come from
//! VA's slice parameters.

use crate::h264::bits::{BitReader, EndOfData};

/// NAL unit types (H.265 table 7-1) the decoder distinguishes.
pub const BLA_W_LP: u8 = 16;
pub const IDR_W_RADL: u8 = 19;
pub const IDR_N_LP: u8 = 20;
pub const RSV_IRAP_VCL23: u8 = 23;

/// What the header is parsed against: SPS and PPS values, all from VA's picture parameters
/// (`st_rps_bits` from the slice's own).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseParams {
    pub dependent_slice_segments_enabled: bool,
    /// Ceil(Log2(PicSizeInCtbsY)): the size of `slice_segment_address`.
    pub slice_segment_address_bits: u32,
    pub num_extra_slice_header_bits: u32,
    pub output_flag_present: bool,
    pub separate_colour_plane: bool,
    pub log2_max_pic_order_cnt_lsb: u32,
    pub num_short_term_ref_pic_sets: u32,
    pub long_term_ref_pics_present: bool,
    pub num_long_term_ref_pics_sps: u32,
    /// VA's `st_rps_bits`: bounds an inter-predicted slice RPS, whose length depends on an SPS
    /// RPS VA does not carry.
    pub st_rps_bits: u32,
    /// What the rest of the header, up to the entry points, depends on.
    pub tail: TailParams,
}

/// SPS/PPS values (and NumPicTotalCurr, from VA's reference flags) the header after the RPS
/// depends on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TailParams {
    pub sps_temporal_mvp_enabled: bool,
    pub sample_adaptive_offset_enabled: bool,
    /// ChromaArrayType (0 with separate colour planes).
    pub chroma_array_type: u32,
    pub lists_modification_present: bool,
    pub num_pic_total_curr: u32,
    pub num_ref_idx_l0_default_active_minus1: u32,
    pub num_ref_idx_l1_default_active_minus1: u32,
    pub cabac_init_present: bool,
    pub weighted_pred: bool,
    pub weighted_bipred: bool,
    pub pps_slice_chroma_qp_offsets_present: bool,
    pub deblocking_filter_override_enabled: bool,
    pub pps_disable_deblocking_filter: bool,
    pub pps_loop_filter_across_slices_enabled: bool,
    /// tiles_enabled_flag || entropy_coding_sync_enabled_flag: entry points present.
    pub entry_points: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SliceHeader {
    pub nal_unit_type: u8,
    pub nuh_temporal_id_plus1: u8,
    pub first_slice_segment_in_pic: bool,
    pub no_output_of_prior_pics: bool,
    pub pic_parameter_set_id: u32,
    pub dependent_slice_segment: bool,
    pub slice_type: u32,
    /// Bits of the slice's own `st_ref_pic_set()` (0 when it names one of the SPS).
    pub short_term_ref_pic_set_size: u32,
    /// Bits from `num_long_term_sps` (or `num_long_term_pics`) to the end of the long-term RPS.
    pub long_term_ref_pic_set_size: u32,
    /// NumDeltaPocs[RefRpsIdx] of an inter-predicted slice RPS, else 0.
    pub num_delta_pocs_of_ref_rps_idx: u32,
    /// `num_entry_point_offsets`, None when the header could not be read that far.
    pub num_entry_point_offsets: Option<u32>,
    /// `entry_point_offset_minus1[]` as coded (in bytes of the slice data, emulation-prevention
    /// bytes included), what ENTRY_POINT_OFFSETS carries; empty when the count is None.
    pub entry_point_offset_minus1: Vec<u32>,
}

impl SliceHeader {
    pub fn is_irap(&self) -> bool {
        (BLA_W_LP..=RSV_IRAP_VCL23).contains(&self.nal_unit_type)
    }

    pub fn is_idr(&self) -> bool {
        self.nal_unit_type == IDR_W_RADL || self.nal_unit_type == IDR_N_LP
    }

    fn set_entry_points(&mut self, offsets: Result<Vec<u32>, EndOfData>) {
        self.num_entry_point_offsets = offsets.as_ref().ok().map(|o| o.len() as u32);
        self.entry_point_offset_minus1 = offsets.unwrap_or_default();
    }
}

/// Ceil(Log2(n)), 0 for n <= 1.
pub fn ceil_log2(n: u32) -> u32 {
    if n <= 1 {
        0
    } else {
        32 - (n - 1).leading_zeros()
    }
}

/// Parses `nal` (from its two-byte NAL unit header, no start code).
pub fn parse(nal: &[u8], p: &ParseParams) -> Result<SliceHeader, EndOfData> {
    let mut r = BitReader::new(nal);
    let mut h = SliceHeader::default();
    r.bit()?; // forbidden_zero_bit
    h.nal_unit_type = r.bits(6)? as u8;
    r.bits(6)?; // nuh_layer_id
    h.nuh_temporal_id_plus1 = r.bits(3)? as u8;
    h.first_slice_segment_in_pic = r.flag()?;
    if h.is_irap() {
        h.no_output_of_prior_pics = r.flag()?;
    }
    h.pic_parameter_set_id = r.ue()?;
    if !h.first_slice_segment_in_pic {
        if p.dependent_slice_segments_enabled {
            h.dependent_slice_segment = r.flag()?;
        }
        r.bits(p.slice_segment_address_bits)?;
    }
    if h.dependent_slice_segment {
        h.set_entry_points(entry_points(&mut r, &p.tail));
        return Ok(h);
    }
    r.bits(p.num_extra_slice_header_bits)?;
    h.slice_type = r.ue()?;
    if p.output_flag_present {
        r.bit()?;
    }
    if p.separate_colour_plane {
        r.bits(2)?;
    }
    let mut temporal_mvp = false;
    if h.is_idr() {
        h.set_entry_points(tail(&mut r, &p.tail, h.slice_type, temporal_mvp));
        return Ok(h);
    }
    r.bits(p.log2_max_pic_order_cnt_lsb)?;
    if !r.flag()? {
        let start = r.position();
        h.num_delta_pocs_of_ref_rps_idx = st_ref_pic_set(&mut r, p)?;
        h.short_term_ref_pic_set_size = (r.position() - start) as u32;
    } else {
        r.bits(ceil_log2(p.num_short_term_ref_pic_sets))?;
    }
    if p.long_term_ref_pics_present {
        let start = r.position();
        let num_long_term_sps = if p.num_long_term_ref_pics_sps > 0 {
            r.ue()?
        } else {
            0
        };
        let num_long_term_pics = r.ue()?;
        for i in 0..num_long_term_sps + num_long_term_pics {
            if i < num_long_term_sps {
                r.bits(ceil_log2(p.num_long_term_ref_pics_sps))?;
            } else {
                r.bits(p.log2_max_pic_order_cnt_lsb)?; // poc_lsb_lt
                r.bit()?; // used_by_curr_pic_lt_flag
            }
            if r.flag()? {
                r.ue()?; // delta_poc_msb_cycle_lt
            }
        }
        h.long_term_ref_pic_set_size = (r.position() - start) as u32;
    }
    if p.tail.sps_temporal_mvp_enabled {
        temporal_mvp = r.flag()?;
    }
    h.set_entry_points(tail(&mut r, &p.tail, h.slice_type, temporal_mvp));
    Ok(h)
}

const SLICE_B: u32 = 0;
const SLICE_P: u32 = 1;

/// The independent slice header from the SAO flags to the entry points; returns
/// `entry_point_offset_minus1[]`.
fn tail(
    r: &mut BitReader,
    t: &TailParams,
    slice_type: u32,
    temporal_mvp: bool,
) -> Result<Vec<u32>, EndOfData> {
    let (mut sao_luma, mut sao_chroma) = (false, false);
    if t.sample_adaptive_offset_enabled {
        sao_luma = r.flag()?;
        if t.chroma_array_type != 0 {
            sao_chroma = r.flag()?;
        }
    }
    if slice_type == SLICE_P || slice_type == SLICE_B {
        let b = slice_type == SLICE_B;
        let (mut l0, mut l1) = (
            t.num_ref_idx_l0_default_active_minus1,
            t.num_ref_idx_l1_default_active_minus1,
        );
        if r.flag()? {
            l0 = r.ue()?;
            if b {
                l1 = r.ue()?;
            }
        }
        if t.lists_modification_present && t.num_pic_total_curr > 1 {
            let bits = ceil_log2(t.num_pic_total_curr);
            for (on, n) in [(true, l0), (b, l1)] {
                if on && r.flag()? {
                    for _ in 0..=n.min(15) {
                        r.bits(bits)?;
                    }
                }
            }
        }
        if b {
            r.bit()?; // mvd_l1_zero_flag
        }
        if t.cabac_init_present {
            r.bit()?;
        }
        if temporal_mvp {
            let from_l0 = if b { r.flag()? } else { true };
            if (from_l0 && l0 > 0) || (!from_l0 && l1 > 0) {
                r.ue()?; // collocated_ref_idx
            }
        }
        if (t.weighted_pred && !b) || (t.weighted_bipred && b) {
            pred_weight_table(r, t, if b { vec![l0, l1] } else { vec![l0] })?;
        }
        r.ue()?; // five_minus_max_num_merge_cand
    }
    r.se()?; // slice_qp_delta
    if t.pps_slice_chroma_qp_offsets_present {
        r.se()?;
        r.se()?;
    }
    let mut deblocking_disabled = t.pps_disable_deblocking_filter;
    if t.deblocking_filter_override_enabled && r.flag()? {
        deblocking_disabled = r.flag()?;
        if !deblocking_disabled {
            r.se()?;
            r.se()?;
        }
    }
    if t.pps_loop_filter_across_slices_enabled && (sao_luma || sao_chroma || !deblocking_disabled) {
        r.bit()?;
    }
    entry_points(r, t)
}

/// `pred_weight_table()` (H.265 7.3.6.3), skipped; `lists` holds num_ref_idx_lX_active_minus1.
fn pred_weight_table(r: &mut BitReader, t: &TailParams, lists: Vec<u32>) -> Result<(), EndOfData> {
    r.ue()?; // luma_log2_weight_denom
    if t.chroma_array_type != 0 {
        r.se()?; // delta_chroma_log2_weight_denom
    }
    for n in lists {
        let n = n.min(15) as usize + 1;
        let mut luma = [false; 16];
        let mut chroma = [false; 16];
        for f in luma.iter_mut().take(n) {
            *f = r.flag()?;
        }
        if t.chroma_array_type != 0 {
            for f in chroma.iter_mut().take(n) {
                *f = r.flag()?;
            }
        }
        for i in 0..n {
            if luma[i] {
                r.se()?;
                r.se()?;
            }
            if chroma[i] {
                for _ in 0..4 {
                    r.se()?;
                }
            }
        }
    }
    Ok(())
}

/// `entry_point_offset_minus1[num_entry_point_offsets]`.
fn entry_points(r: &mut BitReader, t: &TailParams) -> Result<Vec<u32>, EndOfData> {
    if !t.entry_points {
        return Ok(Vec::new());
    }
    let n = r.ue()?;
    let mut offsets = Vec::new();
    if n > 0 {
        let len = r.ue()? + 1;
        if len > 32 {
            return Err(EndOfData);
        }
        // Each offset takes `len` bits: a count past the data ends in EndOfData.
        for _ in 0..n {
            offsets.push(r.bits(len)?);
        }
    }
    Ok(offsets)
}

/// `st_ref_pic_set(num_short_term_ref_pic_sets)` of a slice header; returns
/// NumDeltaPocs[RefRpsIdx] when it is predicted from an SPS RPS, else 0. The predicted form
/// holds one or two flags per delta POC of an SPS RPS VA-API does not carry: they are counted
/// within VA's `st_rps_bits`.
fn st_ref_pic_set(r: &mut BitReader, p: &ParseParams) -> Result<u32, EndOfData> {
    let start = r.position();
    let inter = p.num_short_term_ref_pic_sets != 0 && r.flag()?;
    if !inter {
        let negative = r.ue()?;
        let positive = r.ue()?;
        for _ in 0..negative.saturating_add(positive).min(32) {
            r.ue()?; // delta_poc_sX_minus1
            r.bit()?; // used_by_curr_pic_sX_flag
        }
        return Ok(0);
    }
    r.ue()?; // delta_idx_minus1
    r.bit()?; // delta_rps_sign
    r.ue()?; // abs_delta_rps_minus1
    let end = start + p.st_rps_bits as usize;
    let mut entries = 0;
    while r.position() < end {
        if !r.flag()? {
            r.bit()?; // use_delta_flag
        }
        entries += 1;
    }
    Ok(entries.max(1) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPS/PPS of the libx265 clip (320x240, 64x64 CTBs: 20 CTBs; POC LSB 8 bits; every RPS
    /// in the slice headers), as `ffmpeg -bsf:v trace_headers` prints them.
    fn x265_params() -> ParseParams {
        ParseParams {
            slice_segment_address_bits: 5,
            log2_max_pic_order_cnt_lsb: 8,
            tail: TailParams {
                sps_temporal_mvp_enabled: true,
                sample_adaptive_offset_enabled: true,
                chroma_array_type: 1,
                num_pic_total_curr: 1,
                weighted_pred: true,
                entry_points: true,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn idr_slice_of_a_libx265_clip() {
        // `libx265 -x265-params slices=2`: the first slice of the IDR picture.
        let h = parse(&hex("2801af082179e663fe0b63e4"), &x265_params()).unwrap();
        assert_eq!(h.nal_unit_type, IDR_N_LP);
        assert_eq!(h.nuh_temporal_id_plus1, 1);
        assert!(h.first_slice_segment_in_pic && h.is_irap() && h.is_idr());
        assert!(!h.no_output_of_prior_pics);
        assert_eq!((h.pic_parameter_set_id, h.slice_type), (0, 2));
        assert_eq!(h.short_term_ref_pic_set_size, 0);
        // WPP: one entry point (this slice's second CTB row), as trace_headers shows.
        assert_eq!(h.num_entry_point_offsets, Some(1));
    }

    #[test]
    fn p_slice_second_segment_of_a_libx265_clip() {
        // The second slice (address 10) of a P picture: the RPS (one negative picture) from bit
        // 35 to 43, as trace_headers shows.
        let h = parse(&hex("02015480cafc218c208554b0"), &x265_params()).unwrap();
        assert_eq!(h.nal_unit_type, 1);
        assert!(!h.first_slice_segment_in_pic && !h.is_irap());
        assert_eq!(h.slice_type, 1);
        assert_eq!(h.short_term_ref_pic_set_size, 8);
        assert_eq!(h.long_term_ref_pic_set_size, 0);
        assert_eq!(h.num_delta_pocs_of_ref_rps_idx, 0);
        // Read past a pred_weight_table.
        assert_eq!(h.num_entry_point_offsets, Some(1));
    }

    #[test]
    fn b_slice_of_a_libx265_clip() {
        // A B picture's first slice: one negative and one positive picture, bits 28 to 40.
        let h = parse(&hex("0201e04497e184908db8fc6d"), &x265_params()).unwrap();
        assert!(h.first_slice_segment_in_pic);
        assert_eq!(h.slice_type, 0);
        assert_eq!(h.short_term_ref_pic_set_size, 12);
        assert_eq!(h.num_entry_point_offsets, Some(1));
    }

    #[test]
    fn entry_point_offsets_of_a_libx265_wpp_clip() {
        // `libx265 -x265-params bframes=2:slices=2:wpp=1`, 320x240: the first 16 bytes of the
        // two slices of its IDR, first P and first B picture, and `entry_point_offset_minus1[0]`
        // as `ffmpeg -bsf:v trace_headers` prints it for each (one WPP entry point per slice:
        // each slice spans two CTB rows).
        let slices = [
            ("2801af082179e663fe0b63e4e9c98161", 1657),
            ("28012a78410b8bd009b7ca05d74fffb5", 1118),
            ("0201d0195f84318410ad52b9812dffcc", 852),
            ("02015480cafc218c208554b0fdcd6af9", 677),
            ("0201e04497e184908db8fc6d700caf9d", 219),
            ("0201550224bf0c2484c520ab521c9ffc", 276),
        ];
        for (bytes, want) in slices {
            let h = parse(&hex(bytes), &x265_params()).unwrap();
            assert_eq!(h.num_entry_point_offsets, Some(1), "{bytes}");
            assert_eq!(h.entry_point_offset_minus1, [want], "{bytes}");
        }
    }

    #[test]
    fn entry_point_offsets_cut_short_are_none() {
        // The IDR's first slice ends inside its 11-bit offset (bits 43..54).
        let h = parse(&hex("2801af082179"), &x265_params()).unwrap();
        assert_eq!(h.num_entry_point_offsets, None);
        assert!(h.entry_point_offset_minus1.is_empty());
    }

    /// MSB-first bit writer for synthetic headers.
    struct Writer(Vec<bool>);

    impl Writer {
        fn u(&mut self, v: u32, n: u32) -> &mut Self {
            for i in (0..n).rev() {
                self.0.push((v >> i) & 1 == 1);
            }
            self
        }
        fn ue(&mut self, v: u32) -> &mut Self {
            let n = 32 - (v + 1).leading_zeros();
            self.u(0, n - 1).u(v + 1, n)
        }
        fn bytes(&self) -> Vec<u8> {
            self.0
                .chunks(8)
                .map(|c| {
                    c.iter()
                        .enumerate()
                        .fold(0, |b, (i, &x)| b | (x as u8) << (7 - i))
                })
                .collect()
        }
    }

    #[test]
    fn predicted_short_term_rps_and_long_term_rps() {
        let mut w = Writer(Vec::new());
        w.u(0x0201, 16) // TRAIL_R, temporal id 0
            .u(1, 1) // first_slice_segment_in_pic_flag
            .ue(3) // slice_pic_parameter_set_id
            .ue(0) // slice_type B
            .u(0x55, 8) // slice_pic_order_cnt_lsb
            .u(0, 1) // short_term_ref_pic_set_sps_flag
            // st_ref_pic_set(2): predicted from an SPS RPS of 3 delta POCs (4 entries).
            .u(1, 1)
            .ue(0)
            .u(0, 1)
            .ue(0)
            .u(0b1, 1) // used
            .u(0b01, 2) // not used, use_delta
            .u(0b1, 1) // used
            .u(0b00, 2) // not used, no delta
            // Long-term: num_long_term_pics 1, poc_lsb_lt, used, msb present, msb cycle 2.
            .ue(1)
            .u(0x12, 8)
            .u(1, 1)
            .u(1, 1)
            .ue(2)
            .u(0xff, 8);
        let p = ParseParams {
            log2_max_pic_order_cnt_lsb: 8,
            num_short_term_ref_pic_sets: 2,
            long_term_ref_pics_present: true,
            st_rps_bits: 10,
            ..Default::default()
        };
        let h = parse(&w.bytes(), &p).unwrap();
        assert_eq!(h.pic_parameter_set_id, 3);
        assert_eq!(h.short_term_ref_pic_set_size, 10);
        assert_eq!(h.num_delta_pocs_of_ref_rps_idx, 3);
        assert_eq!(h.long_term_ref_pic_set_size, 16);
    }

    #[test]
    fn truncated_header_is_an_error() {
        assert_eq!(parse(&hex("0201e0"), &x265_params()), Err(EndOfData));
    }

    #[test]
    fn ceil_log2_of_ctb_counts() {
        assert_eq!(
            [1, 2, 3, 4, 5, 20, 64, 65].map(ceil_log2),
            [0, 1, 2, 2, 3, 5, 6, 7]
        );
    }
}
