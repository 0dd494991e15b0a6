//! VP9's compressed header (spec section 6.3), bool-decoded into V4L2's
//! `v4l2_ctrl_vp9_compressed_hdr`: the transform mode, the reference mode (FRAME carries it),
//! and every probability delta as the kernel's helpers apply them (`inv_map_table` applied,
//! 0 = no update; motion-vector probabilities as their new value, 0 = no update).
//! VA-API carries none of it.

use v4l2r::bindings as v4l2;

use super::bool_decoder::{BoolDecoder, BoolError};
use super::header::{Header, SWITCHABLE};

pub const TX_MODE_SELECT: u8 = 4;
const ALLOW_32X32: u8 = 3;
pub const COMPOUND_REFERENCE: u8 = 1;
pub const REFERENCE_SELECT: u8 = 2;
/// The probability of a `diff_update_prob` / `update_mv_prob` update flag.
const DIFF_UPDATE_PROB: u8 = 252;

/// `inv_map_table` (spec 6.3.5): the first 20 entries are 7 + 13k, then the rest of 1..=253
/// in order, then 253 again (an index of 254 is codable).
fn inv_map_table() -> [u8; 255] {
    let mut t = [0u8; 255];
    let mut n = 0;
    for k in 0..20u8 {
        t[n] = 7 + 13 * k;
        n += 1;
    }
    for v in 1..=253u8 {
        if v < 7 || (v - 7) % 13 != 0 {
            t[n] = v;
            n += 1;
        }
    }
    t[n] = 253;
    t
}

/// The compressed header's content.
#[derive(Clone, Copy)]
pub struct Compressed {
    pub hdr: v4l2::v4l2_ctrl_vp9_compressed_hdr,
    pub reference_mode: u8,
}

struct Reader<'a> {
    d: BoolDecoder<'a>,
    inv_map: [u8; 255],
}

impl Reader<'_> {
    /// `decode_term_subexp`.
    fn term_subexp(&mut self) -> usize {
        let d = &mut self.d;
        if !d.bool(128) {
            return d.literal(4) as usize;
        }
        if !d.bool(128) {
            return d.literal(4) as usize + 16;
        }
        if !d.bool(128) {
            return d.literal(5) as usize + 32;
        }
        let v = d.literal(7) as usize;
        if v < 65 {
            return v + 64;
        }
        (v << 1) - 1 + d.literal(1) as usize
    }

    /// `diff_update_prob` as a delta after `inv_map_table`, 0 when not updated.
    fn diff(&mut self) -> u8 {
        if self.d.bool(DIFF_UPDATE_PROB) {
            let i = self.term_subexp();
            self.inv_map[i]
        } else {
            0
        }
    }

    fn diffs<const N: usize>(&mut self, out: &mut [u8; N]) {
        for p in out.iter_mut() {
            *p = self.diff();
        }
    }

    /// `update_mv_prob`: the new probability, 0 when not updated.
    fn mv(&mut self) -> u8 {
        if self.d.bool(DIFF_UPDATE_PROB) {
            (self.d.literal(7) << 1 | 1) as u8
        } else {
            0
        }
    }

    fn mvs<const N: usize>(&mut self, out: &mut [u8; N]) {
        for p in out.iter_mut() {
            *p = self.mv();
        }
    }
}

/// Decodes the compressed header `data` (exactly `header_size_in_bytes` bytes) of the frame
/// whose uncompressed header is `h`.
pub fn parse(h: &Header, data: &[u8]) -> Result<Compressed, BoolError> {
    let mut r = Reader {
        d: BoolDecoder::new(data)?,
        inv_map: inv_map_table(),
    };
    let mut c: v4l2::v4l2_ctrl_vp9_compressed_hdr = crate::ioctl::zeroed();
    // read_tx_mode
    c.tx_mode = if h.lossless() {
        0
    } else {
        let mut m = r.d.literal(2) as u8;
        if m == ALLOW_32X32 {
            m += r.d.literal(1) as u8;
        }
        m
    };
    if c.tx_mode == TX_MODE_SELECT {
        for i in 0..2 {
            r.diffs(&mut c.tx8[i]);
        }
        for i in 0..2 {
            r.diffs(&mut c.tx16[i]);
        }
        for i in 0..2 {
            r.diffs(&mut c.tx32[i]);
        }
    }
    // read_coef_probs: tx_mode_to_biggest_tx_size is min(tx_mode, 3).
    for tx in 0..=usize::from(c.tx_mode.min(3)) {
        if r.d.literal(1) == 1 {
            for i in 0..2 {
                for j in 0..2 {
                    for k in 0..6 {
                        let bands = if k == 0 { 3 } else { 6 };
                        for l in 0..bands {
                            r.diffs(&mut c.coef[tx][i][j][k][l]);
                        }
                    }
                }
            }
        }
    }
    r.diffs(&mut c.skip);
    let mut reference_mode = 0;
    if !h.is_intra() {
        for i in 0..7 {
            r.diffs(&mut c.inter_mode[i]);
        }
        if h.interp_filter == SWITCHABLE {
            for i in 0..4 {
                r.diffs(&mut c.interp_filter[i]);
            }
        }
        r.diffs(&mut c.is_inter);
        // frame_reference_mode: compound prediction needs references on both sides.
        let bias = h.ref_frame_sign_bias;
        if bias[1] != bias[0] || bias[2] != bias[0] {
            reference_mode = if r.d.literal(1) == 1 {
                if r.d.literal(1) == 1 {
                    REFERENCE_SELECT
                } else {
                    COMPOUND_REFERENCE
                }
            } else {
                0
            };
        }
        if reference_mode == REFERENCE_SELECT {
            r.diffs(&mut c.comp_mode);
        }
        if reference_mode != COMPOUND_REFERENCE {
            for i in 0..5 {
                r.diffs(&mut c.single_ref[i]);
            }
        }
        if reference_mode != 0 {
            r.diffs(&mut c.comp_ref);
        }
        for i in 0..4 {
            r.diffs(&mut c.y_mode[i]);
        }
        for i in 0..16 {
            r.diffs(&mut c.partition[i]);
        }
        let mv = &mut c.mv;
        r.mvs(&mut mv.joint);
        for i in 0..2 {
            mv.sign[i] = r.mv();
            r.mvs(&mut mv.classes[i]);
            mv.class0_bit[i] = r.mv();
            r.mvs(&mut mv.bits[i]);
        }
        for i in 0..2 {
            for j in 0..2 {
                r.mvs(&mut mv.class0_fr[i][j]);
            }
            r.mvs(&mut mv.fr[i]);
        }
        if h.allow_high_precision_mv {
            for i in 0..2 {
                mv.class0_hp[i] = r.mv();
                mv.hp[i] = r.mv();
            }
        }
    }
    r.d.finish()?;
    Ok(Compressed {
        hdr: c,
        reference_mode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inv_map_table_is_the_specs() {
        let t = inv_map_table();
        assert_eq!(t[..3], [7, 20, 33]);
        assert_eq!(t[19], 254);
        assert_eq!(t[20..27], [1, 2, 3, 4, 5, 6, 8]);
        assert_eq!(t[252..], [252, 253, 253]);
    }
}
