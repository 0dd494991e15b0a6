//! VP9's uncompressed header (spec section 6.2), parsed from the frame VA hands over whole,
//! with the state it depends on across frames: reference frame sizes (for
//! `frame_size_with_refs`), loop-filter deltas and segmentation (kept until updated, reset by
//! `setup_past_independence` on key, intra-only and error-resilient frames).

use super::bits::{BitReader, EndOfData};

pub const KEY_FRAME: u8 = 0;
/// `interp_filter` SWITCHABLE (V4L2 and the spec number filters the same way).
pub const SWITCHABLE: u8 = 4;
/// `literal_to_type`: the coded interpolation filter to its type.
const LITERAL_TO_TYPE: [u8; 4] = [1, 0, 2, 3];
const SEG_FEATURE_BITS: [u32; 4] = [8, 6, 2, 0];
const SEG_FEATURE_SIGNED: [bool; 4] = [true, true, false, false];
const CS_RGB: u8 = 7;

/// Loop-filter parameters; the deltas persist across frames.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoopFilter {
    pub level: u8,
    pub sharpness: u8,
    pub delta_enabled: bool,
    pub delta_update: bool,
    pub ref_deltas: [i8; 4],
    pub mode_deltas: [i8; 2],
}

/// Segmentation parameters; features and probabilities persist across frames.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Segmentation {
    pub enabled: bool,
    pub update_map: bool,
    pub temporal_update: bool,
    pub update_data: bool,
    pub abs_or_delta_update: bool,
    pub tree_probs: [u8; 7],
    pub pred_probs: [u8; 3],
    /// Per segment, per feature (ALT_Q, ALT_L, REF_FRAME, SKIP).
    pub feature_enabled: [[bool; 4]; 8],
    pub feature_data: [[i16; 4]; 8],
}

/// One frame's uncompressed header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Header {
    pub profile: u8,
    pub show_existing_frame: bool,
    pub frame_to_show_map_idx: u8,
    pub frame_type: u8,
    pub show_frame: bool,
    pub error_resilient_mode: bool,
    pub intra_only: bool,
    /// The raw 0..3 syntax element.
    pub reset_frame_context: u8,
    pub bit_depth: u8,
    pub color_space: u8,
    pub color_range: bool,
    pub subsampling_x: bool,
    pub subsampling_y: bool,
    pub refresh_frame_flags: u8,
    pub ref_frame_idx: [u8; 3],
    /// Indexed LAST..ALTREF (0..3).
    pub ref_frame_sign_bias: [bool; 3],
    pub width: u16,
    pub height: u16,
    pub render_width: u16,
    pub render_height: u16,
    pub allow_high_precision_mv: bool,
    pub interp_filter: u8,
    pub refresh_frame_context: bool,
    pub frame_parallel_decoding_mode: bool,
    pub frame_context_idx: u8,
    pub lf: LoopFilter,
    pub base_q_idx: u8,
    pub delta_q_y_dc: i8,
    pub delta_q_uv_dc: i8,
    pub delta_q_uv_ac: i8,
    pub seg: Segmentation,
    pub tile_cols_log2: u8,
    pub tile_rows_log2: u8,
    /// Size of the compressed header in bytes.
    pub header_size_in_bytes: u16,
    /// Size of this (uncompressed) header in bytes, trailing bits included.
    pub uncompressed_header_size: u16,
}

impl Header {
    pub fn is_intra(&self) -> bool {
        self.frame_type == KEY_FRAME || self.intra_only
    }

    /// `Lossless`: base_q_idx 0 and no quantiser delta.
    pub fn lossless(&self) -> bool {
        self.base_q_idx == 0
            && self.delta_q_y_dc == 0
            && self.delta_q_uv_dc == 0
            && self.delta_q_uv_ac == 0
    }
}

/// What a bad header is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    Truncated,
    BadFrameMarker,
    BadSyncCode,
    /// `frame_size_with_refs` names a reference no earlier frame filled.
    MissingReference,
}

impl From<EndOfData> for HeaderError {
    fn from(_: EndOfData) -> Self {
        HeaderError::Truncated
    }
}

/// What the parser keeps across frames.
#[derive(Debug, Clone, Default)]
pub struct Parser {
    /// Width and height of each of the 8 reference slots (0 = empty).
    ref_sizes: [(u16, u16); 8],
    lf: LoopFilter,
    seg: Segmentation,
    /// Colour state of the last key frame (inter frames do not repeat it).
    bit_depth: u8,
    color_space: u8,
    color_range: bool,
    subsampling: (bool, bool),
}

impl Parser {
    /// Parses one frame's uncompressed header and updates the state kept across frames.
    pub fn parse(&mut self, data: &[u8]) -> Result<Header, HeaderError> {
        let mut r = BitReader::new(data);
        let mut h = Header::default();
        if r.f(2)? != 2 {
            return Err(HeaderError::BadFrameMarker);
        }
        let low = r.f(1)? as u8;
        h.profile = (r.f(1)? as u8) << 1 | low;
        if h.profile == 3 {
            r.f(1)?;
        }
        h.show_existing_frame = r.flag()?;
        if h.show_existing_frame {
            h.frame_to_show_map_idx = r.f(3)? as u8;
            h.uncompressed_header_size = r.bytes_used() as u16;
            return Ok(h);
        }
        h.frame_type = r.f(1)? as u8;
        h.show_frame = r.flag()?;
        h.error_resilient_mode = r.flag()?;
        if h.frame_type == KEY_FRAME {
            sync_code(&mut r)?;
            self.color_config(&mut r, h.profile)?;
            frame_size(&mut r, &mut h)?;
            render_size(&mut r, &mut h)?;
            h.refresh_frame_flags = 0xff;
        } else {
            h.intra_only = if h.show_frame { false } else { r.flag()? };
            h.reset_frame_context = if h.error_resilient_mode {
                0
            } else {
                r.f(2)? as u8
            };
            if h.intra_only {
                sync_code(&mut r)?;
                if h.profile > 0 {
                    self.color_config(&mut r, h.profile)?;
                } else {
                    self.color_space = 2; // CS_BT_601
                    self.color_range = false;
                    self.subsampling = (true, true);
                    self.bit_depth = 8;
                }
                h.refresh_frame_flags = r.f(8)? as u8;
                frame_size(&mut r, &mut h)?;
                render_size(&mut r, &mut h)?;
            } else {
                h.refresh_frame_flags = r.f(8)? as u8;
                for i in 0..3 {
                    h.ref_frame_idx[i] = r.f(3)? as u8;
                    h.ref_frame_sign_bias[i] = r.flag()?;
                }
                self.frame_size_with_refs(&mut r, &mut h)?;
                h.allow_high_precision_mv = r.flag()?;
                h.interp_filter = if r.flag()? {
                    SWITCHABLE
                } else {
                    LITERAL_TO_TYPE[r.f(2)? as usize]
                };
            }
        }
        h.bit_depth = self.bit_depth;
        h.color_space = self.color_space;
        h.color_range = self.color_range;
        (h.subsampling_x, h.subsampling_y) = self.subsampling;
        if h.error_resilient_mode {
            h.frame_parallel_decoding_mode = true;
        } else {
            h.refresh_frame_context = r.flag()?;
            h.frame_parallel_decoding_mode = r.flag()?;
        }
        h.frame_context_idx = r.f(2)? as u8;
        if h.is_intra() || h.error_resilient_mode {
            self.setup_past_independence();
        }
        self.loop_filter_params(&mut r)?;
        h.lf = self.lf;
        h.base_q_idx = r.f(8)? as u8;
        h.delta_q_y_dc = delta_q(&mut r)?;
        h.delta_q_uv_dc = delta_q(&mut r)?;
        h.delta_q_uv_ac = delta_q(&mut r)?;
        self.segmentation_params(&mut r)?;
        h.seg = self.seg;
        tile_info(&mut r, &mut h)?;
        h.header_size_in_bytes = r.f(16)? as u16;
        h.uncompressed_header_size = r.bytes_used() as u16;
        for i in 0..8 {
            if h.refresh_frame_flags & (1 << i) != 0 {
                self.ref_sizes[i] = (h.width, h.height);
            }
        }
        Ok(h)
    }

    fn color_config(&mut self, r: &mut BitReader, profile: u8) -> Result<(), HeaderError> {
        self.bit_depth = if profile >= 2 {
            if r.flag()? {
                12
            } else {
                10
            }
        } else {
            8
        };
        self.color_space = r.f(3)? as u8;
        if self.color_space != CS_RGB {
            self.color_range = r.flag()?;
            self.subsampling = if profile == 1 || profile == 3 {
                let s = (r.flag()?, r.flag()?);
                r.f(1)?;
                s
            } else {
                (true, true)
            };
        } else {
            self.color_range = true;
            if profile == 1 || profile == 3 {
                self.subsampling = (false, false);
                r.f(1)?;
            }
        }
        Ok(())
    }

    fn frame_size_with_refs(&self, r: &mut BitReader, h: &mut Header) -> Result<(), HeaderError> {
        let mut found = false;
        for i in 0..3 {
            if r.flag()? {
                let (w, hh) = self.ref_sizes[h.ref_frame_idx[i] as usize];
                if w == 0 {
                    return Err(HeaderError::MissingReference);
                }
                (h.width, h.height) = (w, hh);
                found = true;
                break;
            }
        }
        if !found {
            frame_size(r, h)?;
        }
        render_size(r, h)
    }

    /// `setup_past_independence` for what the uncompressed header carries.
    fn setup_past_independence(&mut self) {
        self.seg.feature_enabled = [[false; 4]; 8];
        self.seg.feature_data = [[0; 4]; 8];
        self.seg.abs_or_delta_update = false;
        self.lf.ref_deltas = [1, 0, -1, -1];
        self.lf.mode_deltas = [0, 0];
    }

    fn loop_filter_params(&mut self, r: &mut BitReader) -> Result<(), HeaderError> {
        let lf = &mut self.lf;
        lf.level = r.f(6)? as u8;
        lf.sharpness = r.f(3)? as u8;
        lf.delta_enabled = r.flag()?;
        lf.delta_update = false;
        if lf.delta_enabled {
            lf.delta_update = r.flag()?;
            if lf.delta_update {
                for d in lf.ref_deltas.iter_mut() {
                    if r.flag()? {
                        *d = r.su(6)? as i8;
                    }
                }
                for d in lf.mode_deltas.iter_mut() {
                    if r.flag()? {
                        *d = r.su(6)? as i8;
                    }
                }
            }
        }
        Ok(())
    }

    fn segmentation_params(&mut self, r: &mut BitReader) -> Result<(), HeaderError> {
        let s = &mut self.seg;
        s.enabled = r.flag()?;
        s.update_map = false;
        s.temporal_update = false;
        s.update_data = false;
        if !s.enabled {
            return Ok(());
        }
        s.update_map = r.flag()?;
        if s.update_map {
            for p in s.tree_probs.iter_mut() {
                *p = read_prob(r)?;
            }
            s.temporal_update = r.flag()?;
            for p in s.pred_probs.iter_mut() {
                *p = if s.temporal_update {
                    read_prob(r)?
                } else {
                    255
                };
            }
        }
        s.update_data = r.flag()?;
        if s.update_data {
            s.abs_or_delta_update = r.flag()?;
            for i in 0..8 {
                for j in 0..4 {
                    let mut value = 0;
                    let enabled = r.flag()?;
                    s.feature_enabled[i][j] = enabled;
                    if enabled {
                        value = r.f(SEG_FEATURE_BITS[j])? as i16;
                        if SEG_FEATURE_SIGNED[j] && r.flag()? {
                            value = -value;
                        }
                    }
                    s.feature_data[i][j] = value;
                }
            }
        }
        Ok(())
    }
}

fn sync_code(r: &mut BitReader) -> Result<(), HeaderError> {
    if r.f(24)? != 0x49_83_42 {
        return Err(HeaderError::BadSyncCode);
    }
    Ok(())
}

fn frame_size(r: &mut BitReader, h: &mut Header) -> Result<(), HeaderError> {
    h.width = r.f(16)? as u16 + 1;
    h.height = r.f(16)? as u16 + 1;
    Ok(())
}

fn render_size(r: &mut BitReader, h: &mut Header) -> Result<(), HeaderError> {
    if r.flag()? {
        h.render_width = r.f(16)? as u16 + 1;
        h.render_height = r.f(16)? as u16 + 1;
    } else {
        (h.render_width, h.render_height) = (h.width, h.height);
    }
    Ok(())
}

fn delta_q(r: &mut BitReader) -> Result<i8, HeaderError> {
    Ok(if r.flag()? { r.su(4)? as i8 } else { 0 })
}

fn read_prob(r: &mut BitReader) -> Result<u8, HeaderError> {
    Ok(if r.flag()? { r.f(8)? as u8 } else { 255 })
}

fn tile_info(r: &mut BitReader, h: &mut Header) -> Result<(), HeaderError> {
    let mi_cols = (u32::from(h.width) + 7) >> 3;
    let sb64_cols = (mi_cols + 7) >> 3;
    let mut min_log2 = 0;
    while (64 << min_log2) < sb64_cols {
        min_log2 += 1;
    }
    let mut max_log2 = 1;
    while (sb64_cols >> max_log2) >= 4 {
        max_log2 += 1;
    }
    max_log2 -= 1;
    h.tile_cols_log2 = min_log2;
    while h.tile_cols_log2 < max_log2 && r.flag()? {
        h.tile_cols_log2 += 1;
    }
    h.tile_rows_log2 = r.f(1)? as u8;
    if h.tile_rows_log2 == 1 {
        h.tile_rows_log2 += r.f(1)? as u8;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Packs (value, bits) fields MSB first, zero-padded to a byte.
    fn pack(fields: &[(u32, u32)]) -> Vec<u8> {
        let mut bits = Vec::new();
        for &(v, n) in fields {
            bits.extend((0..n).rev().map(|i| (v >> i) & 1));
        }
        bits.chunks(8)
            .map(|c| {
                c.iter()
                    .enumerate()
                    .fold(0u8, |b, (i, &x)| b | (x as u8) << (7 - i))
            })
            .collect()
    }

    /// Loop filter (level 10, deltas enabled, `update` = new LAST delta), q 60, no
    /// segmentation, one tile, a 5-byte compressed header.
    fn tail(update: Option<u32>) -> Vec<(u32, u32)> {
        let mut f = vec![(10, 6), (0, 3), (1, 1)];
        match update {
            Some(v) => f.extend([(1, 1), (1, 1), (v, 6), (0, 1), (0, 3), (0, 2)]),
            None => f.push((0, 1)),
        }
        f.extend([(60, 8), (0, 3), (0, 1), (0, 1), (5, 16)]);
        f
    }

    fn key_frame() -> Vec<u8> {
        let mut f = vec![
            (2, 2),
            (0, 2),
            (0, 1),
            (0, 1),
            (1, 1),
            (0, 1),
            (0x49_83_42, 24),
        ];
        f.extend([
            (0, 3),
            (0, 1),
            (319, 16),
            (239, 16),
            (0, 1),
            (1, 1),
            (1, 1),
            (0, 2),
        ]);
        f.extend(tail(Some(2)));
        pack(&f)
    }

    fn inter_frame(error_resilient: bool) -> Vec<u8> {
        let mut f = vec![
            (2, 2),
            (0, 2),
            (0, 1),
            (1, 1),
            (1, 1),
            (error_resilient.into(), 1),
        ];
        if !error_resilient {
            f.push((0, 2)); // reset_frame_context
        }
        f.push((1, 8)); // refresh_frame_flags
        f.extend([(0, 3), (0, 1), (1, 3), (0, 1), (2, 3), (1, 1)]);
        f.extend([(1, 1), (0, 1), (0, 1), (1, 1)]); // found_ref[0], render, hp, switchable
        if !error_resilient {
            f.extend([(0, 1), (0, 1)]);
        }
        f.push((0, 2));
        f.extend(tail(None));
        pack(&f)
    }

    #[test]
    fn loop_filter_deltas_persist_until_an_error_resilient_frame_resets_them() {
        let mut p = Parser::default();
        let k = p.parse(&key_frame()).unwrap();
        assert_eq!((k.width, k.height, k.base_q_idx), (320, 240, 60));
        assert_eq!(
            k.lf.ref_deltas,
            [2, 0, -1, -1],
            "LAST updated, the rest the defaults"
        );
        assert!(k.lf.delta_update);
        let i = p.parse(&inter_frame(false)).unwrap();
        assert_eq!(
            (i.width, i.height),
            (320, 240),
            "size from reference slot 0"
        );
        assert_eq!(i.ref_frame_idx, [0, 1, 2]);
        assert_eq!(i.ref_frame_sign_bias, [false, false, true]);
        assert_eq!(i.interp_filter, SWITCHABLE);
        assert_eq!(i.lf.ref_deltas, [2, 0, -1, -1], "kept: no update");
        assert!(!i.lf.delta_update);
        let e = p.parse(&inter_frame(true)).unwrap();
        assert_eq!(e.lf.ref_deltas, [1, 0, -1, -1], "setup_past_independence");
        assert!(e.frame_parallel_decoding_mode && !e.refresh_frame_context);
        assert_eq!(e.header_size_in_bytes, 5);
    }

    #[test]
    fn inter_frame_before_any_key_frame_is_refused() {
        assert_eq!(
            Parser::default().parse(&inter_frame(false)),
            Err(HeaderError::MissingReference)
        );
        assert_eq!(
            Parser::default().parse(&[0x40]),
            Err(HeaderError::BadFrameMarker)
        );
        assert_eq!(
            Parser::default().parse(&key_frame()[..6]),
            Err(HeaderError::Truncated)
        );
    }
}
