//! H.264 slice header parser (spec 7.3.3), for the fields V4L2 wants and VA-API does not carry:
//! `idr_pic_id`, `pic_order_cnt_lsb`, the delta POCs, and the bit sizes of the POC syntax and of
//! `dec_ref_pic_marking()` (hantro G1 writes blank frames without them), plus the header size.
//! The SPS/PPS values it needs come from VA's picture and slice parameters.

use super::bits::{BitReader, EndOfData};

/// Sequence/picture parameters the slice header syntax depends on.
#[derive(Debug, Clone, Copy, Default)]
pub struct ParseParams {
    pub separate_colour_plane: bool,
    pub chroma_format_idc: u32,
    pub log2_max_frame_num: u32,
    pub frame_mbs_only: bool,
    pub pic_order_cnt_type: u32,
    pub log2_max_pic_order_cnt_lsb: u32,
    pub delta_pic_order_always_zero: bool,
    pub bottom_field_pic_order_in_frame_present: bool,
    pub redundant_pic_cnt_present: bool,
    pub weighted_pred: bool,
    pub weighted_bipred_idc: u32,
    pub entropy_coding_mode: bool,
    pub deblocking_filter_control_present: bool,
    /// Final active reference counts (from VA's slice parameters), for pred_weight_table().
    pub num_ref_idx_l0_active_minus1: u32,
    pub num_ref_idx_l1_active_minus1: u32,
}

/// What the parser extracts. Bit positions count from the byte after the NAL header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SliceHeader {
    pub nal_ref_idc: u8,
    pub nal_unit_type: u8,
    pub first_mb_in_slice: u32,
    pub slice_type: u32,
    pub pic_parameter_set_id: u32,
    pub colour_plane_id: u32,
    pub frame_num: u32,
    pub field_pic: bool,
    pub bottom_field: bool,
    pub idr_pic_id: u32,
    pub pic_order_cnt_lsb: u32,
    pub delta_pic_order_cnt_bottom: i32,
    pub delta_pic_order_cnt: [i32; 2],
    pub pic_order_cnt_bit_size: u32,
    pub redundant_pic_cnt: u32,
    pub direct_spatial_mv_pred: bool,
    pub num_ref_idx_active_override: bool,
    pub num_ref_idx_l0_active_minus1: u32,
    pub num_ref_idx_l1_active_minus1: u32,
    pub dec_ref_pic_marking_bit_size: u32,
    pub cabac_init_idc: u32,
    pub slice_qp_delta: i32,
    pub sp_for_switch: bool,
    pub slice_qs_delta: i32,
    pub disable_deblocking_filter_idc: u32,
    pub slice_alpha_c0_offset_div2: i32,
    pub slice_beta_offset_div2: i32,
    /// Size of slice_header() in bits (EPB included).
    pub header_bit_size: u32,
}

impl SliceHeader {
    pub fn is_idr(&self) -> bool {
        self.nal_unit_type == 5
    }
}

/// Slice types modulo 5.
pub const SLICE_P: u32 = 0;
pub const SLICE_B: u32 = 1;
pub const SLICE_I: u32 = 2;
pub const SLICE_SP: u32 = 3;
pub const SLICE_SI: u32 = 4;

/// Parses the slice header of `nal`, which starts at the NAL header byte (no start code).
pub fn parse(nal: &[u8], p: &ParseParams) -> Result<SliceHeader, EndOfData> {
    let (&hdr, payload) = nal.split_first().ok_or(EndOfData)?;
    let mut h = SliceHeader {
        nal_ref_idc: (hdr >> 5) & 3,
        nal_unit_type: hdr & 0x1f,
        ..Default::default()
    };
    let r = &mut BitReader::new(payload);
    h.first_mb_in_slice = r.ue()?;
    h.slice_type = r.ue()? % 5;
    h.pic_parameter_set_id = r.ue()?;
    if p.separate_colour_plane {
        h.colour_plane_id = r.bits(2)?;
    }
    h.frame_num = r.bits(p.log2_max_frame_num)?;
    if !p.frame_mbs_only {
        h.field_pic = r.flag()?;
        if h.field_pic {
            h.bottom_field = r.flag()?;
        }
    }
    if h.is_idr() {
        h.idr_pic_id = r.ue()?;
    }
    let poc_start = r.position();
    if p.pic_order_cnt_type == 0 {
        h.pic_order_cnt_lsb = r.bits(p.log2_max_pic_order_cnt_lsb)?;
        if p.bottom_field_pic_order_in_frame_present && !h.field_pic {
            h.delta_pic_order_cnt_bottom = r.se()?;
        }
    }
    if p.pic_order_cnt_type == 1 && !p.delta_pic_order_always_zero {
        h.delta_pic_order_cnt[0] = r.se()?;
        if p.bottom_field_pic_order_in_frame_present && !h.field_pic {
            h.delta_pic_order_cnt[1] = r.se()?;
        }
    }
    h.pic_order_cnt_bit_size = (r.position() - poc_start) as u32;
    if p.redundant_pic_cnt_present {
        h.redundant_pic_cnt = r.ue()?;
    }
    let t = h.slice_type;
    if t == SLICE_B {
        h.direct_spatial_mv_pred = r.flag()?;
    }
    h.num_ref_idx_l0_active_minus1 = p.num_ref_idx_l0_active_minus1;
    h.num_ref_idx_l1_active_minus1 = p.num_ref_idx_l1_active_minus1;
    if t == SLICE_P || t == SLICE_SP || t == SLICE_B {
        h.num_ref_idx_active_override = r.flag()?;
        if h.num_ref_idx_active_override {
            h.num_ref_idx_l0_active_minus1 = r.ue()?;
            if t == SLICE_B {
                h.num_ref_idx_l1_active_minus1 = r.ue()?;
            }
        }
    }
    // ref_pic_list_modification() (NAL types 20/21 use the MVC variant: not supported).
    if t != SLICE_I && t != SLICE_SI {
        skip_ref_pic_list_modification(r)?;
    }
    if t == SLICE_B {
        skip_ref_pic_list_modification(r)?;
    }
    if (p.weighted_pred && (t == SLICE_P || t == SLICE_SP))
        || (p.weighted_bipred_idc == 1 && t == SLICE_B)
    {
        let chroma_array_type = if p.separate_colour_plane {
            0
        } else {
            p.chroma_format_idc
        };
        r.ue()?; // luma_log2_weight_denom
        if chroma_array_type != 0 {
            r.ue()?; // chroma_log2_weight_denom
        }
        let lists = if t == SLICE_B { 2 } else { 1 };
        for l in 0..lists {
            let n = if l == 0 {
                h.num_ref_idx_l0_active_minus1
            } else {
                h.num_ref_idx_l1_active_minus1
            };
            for _ in 0..=n {
                if r.flag()? {
                    r.se()?;
                    r.se()?;
                }
                if chroma_array_type != 0 && r.flag()? {
                    for _ in 0..4 {
                        r.se()?;
                    }
                }
            }
        }
    }
    if h.nal_ref_idc != 0 {
        let start = r.position();
        if h.is_idr() {
            r.flag()?; // no_output_of_prior_pics_flag
            r.flag()?; // long_term_reference_flag
        } else if r.flag()? {
            // adaptive_ref_pic_marking_mode_flag
            loop {
                let mmco = r.ue()?;
                match mmco {
                    0 => break,
                    1 | 3 => {
                        r.ue()?;
                        if mmco == 3 {
                            r.ue()?;
                        }
                    }
                    2 | 6 => {
                        r.ue()?;
                    }
                    4 => {
                        r.ue()?;
                    }
                    5 => {}
                    _ => return Err(EndOfData),
                }
            }
        }
        h.dec_ref_pic_marking_bit_size = (r.position() - start) as u32;
    }
    if p.entropy_coding_mode && t != SLICE_I && t != SLICE_SI {
        h.cabac_init_idc = r.ue()?;
    }
    h.slice_qp_delta = r.se()?;
    if t == SLICE_SP || t == SLICE_SI {
        if t == SLICE_SP {
            h.sp_for_switch = r.flag()?;
        }
        h.slice_qs_delta = r.se()?;
    }
    if p.deblocking_filter_control_present {
        h.disable_deblocking_filter_idc = r.ue()?;
        if h.disable_deblocking_filter_idc != 1 {
            h.slice_alpha_c0_offset_div2 = r.se()?;
            h.slice_beta_offset_div2 = r.se()?;
        }
    }
    // slice_group_change_cycle: slice groups (FMO) are Baseline-only and not supported.
    h.header_bit_size = r.position() as u32;
    Ok(h)
}

fn skip_ref_pic_list_modification(r: &mut BitReader) -> Result<(), EndOfData> {
    if r.flag()? {
        loop {
            match r.ue()? {
                3 => break,
                0..=2 => {
                    r.ue()?;
                }
                // 4/5 only appear in MVC's variant.
                _ => return Err(EndOfData),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bit writer for building test slice headers.
    struct W(Vec<bool>);
    impl W {
        fn u(&mut self, n: u32, v: u32) -> &mut Self {
            for i in (0..n).rev() {
                self.0.push((v >> i) & 1 == 1);
            }
            self
        }
        fn ue(&mut self, v: u32) -> &mut Self {
            let x = v + 1;
            let len = 32 - x.leading_zeros();
            self.u(len - 1, 0).u(len, x)
        }
        fn se(&mut self, v: i32) -> &mut Self {
            self.ue(if v > 0 {
                2 * v as u32 - 1
            } else {
                (-2 * v) as u32
            })
        }
        fn bytes(&self) -> Vec<u8> {
            let mut out = vec![0u8; self.0.len().div_ceil(8)];
            for (i, b) in self.0.iter().enumerate() {
                if *b {
                    out[i / 8] |= 0x80 >> (i % 8);
                }
            }
            out
        }
    }

    fn params() -> ParseParams {
        ParseParams {
            chroma_format_idc: 1,
            log2_max_frame_num: 4,
            frame_mbs_only: true,
            pic_order_cnt_type: 0,
            log2_max_pic_order_cnt_lsb: 6,
            entropy_coding_mode: true,
            deblocking_filter_control_present: true,
            ..Default::default()
        }
    }

    #[test]
    fn idr_slice() {
        let mut w = W(Vec::new());
        w.ue(0)
            .ue(7)
            .ue(0) // first_mb, slice_type I (7), pps 0
            .u(4, 0) // frame_num
            .ue(3) // idr_pic_id
            .u(6, 0) // poc lsb
            .u(1, 0)
            .u(1, 0) // dec_ref_pic_marking: 2 bits
            .se(-2) // slice_qp_delta
            .ue(0)
            .se(1)
            .se(-1); // deblocking
        let mut nal = vec![0x65];
        nal.extend(w.bytes());
        let h = parse(&nal, &params()).unwrap();
        assert!(h.is_idr());
        assert_eq!(h.nal_ref_idc, 3);
        assert_eq!(h.slice_type, SLICE_I);
        assert_eq!(h.idr_pic_id, 3);
        assert_eq!(h.pic_order_cnt_bit_size, 6);
        assert_eq!(h.dec_ref_pic_marking_bit_size, 2);
        assert_eq!(h.slice_qp_delta, -2);
        assert_eq!(h.slice_alpha_c0_offset_div2, 1);
        assert_eq!(h.slice_beta_offset_div2, -1);
        assert_eq!(h.header_bit_size as usize, w.0.len());
    }

    #[test]
    fn b_slice_with_mmco_and_override() {
        let mut w = W(Vec::new());
        w.ue(10)
            .ue(1)
            .ue(0) // first_mb 10, B, pps 0
            .u(4, 5) // frame_num
            .u(6, 12) // poc lsb
            .u(1, 1) // direct_spatial_mv_pred
            .u(1, 1)
            .ue(2)
            .ue(1) // override: l0 = 2, l1 = 1
            .u(1, 1)
            .ue(0)
            .ue(4)
            .ue(3) // l0 modification
            .u(1, 0) // l1: none
            .u(1, 1)
            .ue(1)
            .ue(0)
            .ue(0) // adaptive marking: mmco 1 (diff 0), end
            .ue(2) // cabac_init_idc
            .se(3)
            .ue(1); // deblocking off
        let mut nal = vec![0x21]; // nal_ref_idc 1, type 1
        nal.extend(w.bytes());
        let h = parse(&nal, &params()).unwrap();
        assert_eq!(h.slice_type, SLICE_B);
        assert_eq!(h.frame_num, 5);
        assert_eq!(h.pic_order_cnt_lsb, 12);
        assert!(h.direct_spatial_mv_pred);
        assert_eq!(
            (
                h.num_ref_idx_l0_active_minus1,
                h.num_ref_idx_l1_active_minus1
            ),
            (2, 1)
        );
        assert_eq!(h.dec_ref_pic_marking_bit_size, 1 + 3 + 1 + 1);
        assert_eq!(h.cabac_init_idc, 2);
        assert_eq!(h.slice_qp_delta, 3);
        assert_eq!(h.disable_deblocking_filter_idc, 1);
        assert_eq!(h.header_bit_size as usize, w.0.len());
    }

    #[test]
    fn epb_counts_in_bit_sizes() {
        // P slice whose frame_num/poc bits are zero: yields 00 00 03 in the raw bytes.
        let p = ParseParams {
            log2_max_frame_num: 8,
            log2_max_pic_order_cnt_lsb: 16,
            ..params()
        };
        let mut w = W(Vec::new());
        w.ue(0)
            .ue(0)
            .ue(0)
            .u(8, 0)
            .u(16, 0)
            .u(1, 0)
            .u(1, 0)
            .u(1, 0)
            .ue(0)
            .se(0)
            .ue(1);
        let raw = w.bytes();
        // Insert an emulation-prevention byte after the first two zero bytes.
        let z = raw.iter().position(|&b| b == 0).unwrap();
        let mut nal = vec![0x41];
        nal.extend(&raw[..z + 2]);
        nal.push(3);
        nal.extend(&raw[z + 2..]);
        let h = parse(&nal, &p).unwrap();
        assert_eq!(h.slice_type, SLICE_P);
        assert_eq!(h.pic_order_cnt_bit_size, 16 + 8);
        assert_eq!(h.header_bit_size as usize, w.0.len() + 8);
    }
}
