//! The VP8 frame tag (RFC 6386, 9.1): the 3-byte uncompressed chunk every frame starts with, and
//! on key frames the start code and sizes that follow it (10 bytes in all). The kernel wants the
//! whole frame with its tag in the OUTPUT buffer (hantro skips 3 or 10 bytes to reach the first
//! partition); FFmpeg hands VA the frame without it, GStreamer's `va` with it. Pure functions,
//! unit-tested on a generated clip's frames.

/// The key-frame start code after the 3-byte tag.
pub const START_CODE: [u8; 3] = [0x9d, 0x01, 0x2a];

/// What a frame tag says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    pub key_frame: bool,
    /// Bitstream version (0..3).
    pub version: u8,
    pub show_frame: bool,
    /// Size of the first partition, the tag excluded.
    pub first_part_size: u32,
    /// Key frames: width (14 bits) and its 2-bit scale.
    pub width: u16,
    pub horizontal_scale: u8,
    /// Key frames: height (14 bits) and its 2-bit scale.
    pub height: u16,
    pub vertical_scale: u8,
}

impl Tag {
    /// Bytes of the uncompressed chunk: 10 on key frames, else 3.
    pub fn len(key_frame: bool) -> usize {
        if key_frame {
            10
        } else {
            3
        }
    }

    /// The tag at the start of `frame`, if it holds one (key frames: with the start code).
    pub fn parse(frame: &[u8]) -> Option<Tag> {
        let raw = u32::from(*frame.first()?)
            | u32::from(*frame.get(1)?) << 8
            | u32::from(*frame.get(2)?) << 16;
        let key_frame = raw & 1 == 0;
        let mut t = Tag {
            key_frame,
            version: ((raw >> 1) & 7) as u8,
            show_frame: (raw >> 4) & 1 != 0,
            first_part_size: raw >> 5,
            width: 0,
            horizontal_scale: 0,
            height: 0,
            vertical_scale: 0,
        };
        if key_frame {
            let k = frame.get(3..10)?;
            if k[..3] != START_CODE {
                return None;
            }
            let (w, h) = (
                u16::from_le_bytes([k[3], k[4]]),
                u16::from_le_bytes([k[5], k[6]]),
            );
            t.width = w & 0x3fff;
            t.horizontal_scale = (w >> 14) as u8;
            t.height = h & 0x3fff;
            t.vertical_scale = (h >> 14) as u8;
        }
        Some(t)
    }

    /// The tag's bytes (3, or 10 on key frames).
    pub fn bytes(&self) -> Vec<u8> {
        let raw = u32::from(!self.key_frame)
            | u32::from(self.version & 7) << 1
            | u32::from(self.show_frame) << 4
            | (self.first_part_size & 0x7ffff) << 5;
        let mut b = raw.to_le_bytes()[..3].to_vec();
        if self.key_frame {
            b.extend_from_slice(&START_CODE);
            let w = (self.width & 0x3fff) | u16::from(self.horizontal_scale & 3) << 14;
            let h = (self.height & 0x3fff) | u16::from(self.vertical_scale & 3) << 14;
            b.extend_from_slice(&w.to_le_bytes());
            b.extend_from_slice(&h.to_le_bytes());
        }
        b
    }
}

/// The tag the client left in `data` right before `offset` (where the first partition starts),
/// if there is one that agrees with what VA says of the frame (key or not, size of the first
/// partition); None when the client stripped it.
pub fn before(data: &[u8], offset: usize, key_frame: bool, first_part_size: u32) -> Option<Tag> {
    let start = offset.checked_sub(Tag::len(key_frame))?;
    Tag::parse(data.get(start..offset)?)
        .filter(|t| t.key_frame == key_frame && t.first_part_size == first_part_size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use testbed::clips::{ivf_frames, Clip, Codec};

    /// A generated clip with 4 token partitions (libvpx's `-slices 4`), altref frames.
    fn clip_frames() -> Vec<u8> {
        let c = Clip {
            codec: Codec::Vp8,
            width: 320,
            height: 240,
            frames: 10,
            encoder_args: ["-slices", "4", "-auto-alt-ref", "1", "-lag-in-frames", "16"]
                .map(String::from)
                .to_vec(),
        };
        std::fs::read(c.generate().unwrap()).unwrap()
    }

    #[test]
    fn tags_of_a_real_clip_parse_and_rebuild_byte_for_byte() {
        let ivf = clip_frames();
        let frames = ivf_frames(&ivf).unwrap();
        assert_eq!(frames.len(), 10);
        for (i, f) in frames.iter().enumerate() {
            let t = Tag::parse(f).unwrap_or_else(|| panic!("frame {i}: no tag"));
            assert_eq!(
                t.key_frame,
                i == 0,
                "frame {i}: only the first is a key frame"
            );
            if t.key_frame {
                assert_eq!((t.width, t.height), (320, 240));
            }
            let n = Tag::len(t.key_frame);
            assert!(
                n + t.first_part_size as usize <= f.len(),
                "frame {i}: {t:?}"
            );
            assert_eq!(t.bytes(), f[..n], "frame {i}: rebuilt tag");
        }
    }

    #[test]
    fn a_tag_is_found_where_the_client_left_it_and_only_there() {
        let ivf = clip_frames();
        for (i, f) in ivf_frames(&ivf).unwrap().into_iter().enumerate() {
            let t = Tag::parse(f).unwrap();
            let n = Tag::len(t.key_frame);
            let fps = t.first_part_size;
            // GStreamer's va: the whole frame, the first partition at offset n.
            assert_eq!(before(f, n, t.key_frame, fps), Some(t), "frame {i}");
            // FFmpeg: the tag stripped, the first partition at offset 0.
            assert_eq!(before(&f[n..], 0, t.key_frame, fps), None, "frame {i}");
            // A tag that disagrees with VA's parameters is not taken.
            assert_eq!(before(f, n, t.key_frame, fps + 1), None, "frame {i}");
            assert_eq!(before(f, n, !t.key_frame, fps), None, "frame {i}");
        }
    }
}
