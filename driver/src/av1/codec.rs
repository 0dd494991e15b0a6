//! AV1 as a [`Codec`]: one request per frame holding every tile group VA hands over (tile data
//! only: VA-API passes neither the sequence nor the frame header), SEQUENCE, FRAME,
//! TILE_GROUP_ENTRY (one entry per tile, offsets into the request's bitstream) and FILM_GRAIN
//! built from VA's picture parameters ([`controls`]) and what the codec keeps across frames:
//! the order hint of each surface it decoded (the references' order hints), the largest frame
//! size seen.

use std::collections::HashMap;

use v4l2r::bindings as v4l2;

use super::controls::{self, Known};
use crate::codec::{Codec, Requests};
use crate::ioctl::{self, Ctrl};
use crate::va::{self, VaError, VaResult};

type Entry = v4l2::v4l2_ctrl_av1_tile_group_entry;

pub struct Av1 {
    /// The picture parameter buffer's bytes, checked (the struct holds a raw pointer, which
    /// is not `Send`; it is read again at the end of the picture).
    pic_param: Option<Vec<u8>>,
    /// Slice (tile) parameters of the next slice data buffer.
    slice_params: Vec<va::VASliceParameterBufferAV1>,
    /// The picture's tiles, placed in the request's bitstream.
    entries: Vec<Entry>,
    /// Bytes of this picture's bitstream appended so far.
    appended: u32,
    /// Per tile: (index of its buffer in the picture, offset in it, size).
    tiles: Vec<(usize, u32, u32)>,
    /// The slice data buffer appended last and where it starts: FFmpeg hands the same tile
    /// group data once per tile, appended once.
    last: Option<(Vec<u8>, u32)>,
    buffers: usize,
    /// Order hint of the frame last decoded into each surface.
    hints: HashMap<va::VASurfaceID, u32>,
    /// The largest frame size seen (VA-API has no max_frame_width/height).
    max_size: (u32, u32),
    warned_grain: bool,
}

pub fn new(_profile: va::VAProfile) -> Box<dyn Codec> {
    Box::new(Av1 {
        pic_param: None,
        slice_params: Vec::new(),
        entries: Vec::new(),
        appended: 0,
        tiles: Vec::new(),
        last: None,
        buffers: 0,
        hints: HashMap::new(),
        max_size: (0, 0),
        warned_grain: false,
    })
}

/// TileSizeBytes from the picture's tiles (`(buffer, offset in it, size)`): the
/// tile_size_minus_1 field lies between two consecutive tiles of one buffer. None when no
/// buffer has two tiles or the gap is not 1..=4 bytes.
pub fn tile_size_bytes(tiles: &[(usize, u32, u32)]) -> Option<u8> {
    tiles.windows(2).find_map(|w| {
        let ((ba, oa, sa), (bb, ob, _)) = (w[0], w[1]);
        let gap = ob.checked_sub(oa.checked_add(sa)?)?;
        (ba == bb && (1..=4).contains(&gap)).then_some(gap as u8)
    })
}

impl Codec for Av1 {
    fn begin_picture(&mut self) {
        self.pic_param = None;
        self.slice_params.clear();
        self.entries.clear();
        self.appended = 0;
        self.tiles.clear();
        self.last = None;
        self.buffers = 0;
    }

    fn parameters(&mut self, type_: va::VABufferType, data: &[u8], num: u32) -> VaResult<()> {
        let bad = VaError::VA_STATUS_ERROR_INVALID_BUFFER;
        match type_ {
            va::VAPictureParameterBufferType => {
                let p: va::VADecPictureParameterBufferAV1 =
                    ioctl::read_plain(data, 0).ok_or(bad)?;
                let f = controls::fields(&p);
                if p.bit_depth_idx != 0 || f.seq.mono_chrome() != 0 || p.profile != 0 {
                    log::error!(
                        "AV1: only 8-bit 4:2:0 profile 0 is served (NV12 surfaces); this \
                         stream has profile {}, bit depth index {}, mono_chrome {}",
                        p.profile,
                        p.bit_depth_idx,
                        f.seq.mono_chrome()
                    );
                    return Err(VaError::VA_STATUS_ERROR_UNSUPPORTED_PROFILE);
                }
                if f.pic.large_scale_tile() != 0 {
                    log::error!("AV1: large-scale tile decoding (anchor frames) is not served");
                    return Err(VaError::VA_STATUS_ERROR_UNIMPLEMENTED);
                }
                self.pic_param = Some(data.to_vec());
            }
            va::VASliceParameterBufferType => {
                self.slice_params = ioctl::read_plain_array(data, num).ok_or(bad)?;
            }
            t => log::debug!("AV1: ignoring buffer type {t}"),
        }
        Ok(())
    }

    fn slice_data(&mut self, data: &[u8], req: &mut dyn Requests) -> VaResult<()> {
        if self.slice_params.is_empty() {
            log::error!("AV1: a slice data buffer without tile parameters before it");
            return Err(VaError::VA_STATUS_ERROR_INVALID_BUFFER);
        }
        crate::codec::each_slice(
            &self.slice_params,
            data,
            |p| (p.slice_data_offset, p.slice_data_size),
            |_, _| Ok(()),
        )?;
        if self.entries.len() + self.slice_params.len() > v4l2::V4L2_AV1_MAX_TILE_COUNT as usize {
            log::error!(
                "AV1: more than {} tiles in one frame",
                v4l2::V4L2_AV1_MAX_TILE_COUNT
            );
            return Err(VaError::VA_STATUS_ERROR_INVALID_BUFFER);
        }
        let base = match &self.last {
            Some((prev, base)) if prev.as_slice() == data => *base,
            _ => {
                let base = self.appended;
                req.append(&[data])?;
                self.appended += data.len() as u32;
                self.last = Some((data.to_vec(), base));
                self.buffers += 1;
                base
            }
        };
        let buffer = self.buffers;
        for p in self.slice_params.drain(..) {
            self.tiles
                .push((buffer, p.slice_data_offset, p.slice_data_size));
            self.entries.push(Entry {
                tile_offset: base + p.slice_data_offset,
                tile_size: p.slice_data_size,
                tile_row: p.tile_row.into(),
                tile_col: p.tile_column.into(),
            });
        }
        Ok(())
    }

    fn end_picture(&mut self, req: &mut dyn Requests) -> VaResult<()> {
        if self.entries.is_empty() {
            return Err(VaError::VA_STATUS_ERROR_DECODING_ERROR);
        }
        let p: va::VADecPictureParameterBufferAV1 = self
            .pic_param
            .as_deref()
            .and_then(|d| ioctl::read_plain(d, 0))
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_PARAMETER)?;
        let f = controls::fields(&p);
        if f.grain.apply_grain() != 0
            && p.current_display_picture != p.current_frame
            && !self.warned_grain
        {
            log::warn!(
                "AV1: film grain is passed to the device, which writes the frame into the \
                 render target only (not the separate display surface VA names)"
            );
            self.warned_grain = true;
        }
        let (w, h) = (
            u32::from(p.frame_width_minus1) + 1,
            u32::from(p.frame_height_minus1) + 1,
        );
        self.max_size = (self.max_size.0.max(w), self.max_size.1.max(h));
        let slot = |i: usize| p.ref_frame_map[i];
        let known = Known {
            ref_hints: p.ref_frame_idx.map(|i| {
                let s = p.ref_frame_map[usize::from(i) & 7];
                self.hints.get(&s).copied().unwrap_or(0)
            }),
            slot_ts: std::array::from_fn(|i| {
                if slot(i) == va::VA_INVALID_SURFACE {
                    0
                } else {
                    req.reference_ns(slot(i)).unwrap_or(0)
                }
            }),
            tile_size_bytes: tile_size_bytes(&self.tiles).unwrap_or(0),
        };
        let mut seq = controls::sequence(&p, &f, self.max_size);
        let mut frame = controls::frame(&p, &f, &known);
        let mut grain = controls::film_grain(&p, &f);
        let mut ctrls = [
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_AV1_SEQUENCE, &mut seq),
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_AV1_FRAME, &mut frame),
            Ctrl::array(
                v4l2::V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY,
                &mut self.entries,
            ),
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_AV1_FILM_GRAIN, &mut grain),
        ];
        req.submit(&mut ctrls, false)?;
        self.hints.insert(p.current_frame, u32::from(p.order_hint));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::tile_size_bytes;

    #[test]
    fn tile_size_bytes_is_the_gap_between_two_tiles_of_one_buffer() {
        // FFmpeg: each tile with the whole tile group's data; 2-byte tile sizes between tiles.
        assert_eq!(tile_size_bytes(&[(1, 2, 100), (1, 104, 50)]), Some(2));
        // One tile, or tiles of different buffers: unknown.
        assert_eq!(tile_size_bytes(&[(1, 0, 100)]), None);
        assert_eq!(tile_size_bytes(&[(1, 0, 100), (2, 101, 50)]), None);
        // A gap that is no tile size field.
        assert_eq!(tile_size_bytes(&[(1, 0, 100), (1, 110, 50)]), None);
    }
}
