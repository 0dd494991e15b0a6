//! VA images: NV12 images the client creates or derives from a surface, and the copies between
//! them and a surface's CAPTURE buffer (vaGetImage / vaPutImage, with the dma-buf cache sync
//! around CPU access when the buffer was exported).

use super::buffer::{Buffer, BufferData};
use super::State;
use crate::ioctl;
use crate::va::{self, VaError, VaResult};

pub struct Image {
    pub image: va::VAImage,
    pub derived_from: Option<va::VASurfaceID>,
}

const IMAGE_DATA_POOL: usize = 4;

/// Copies the CAPTURE side `cap` into the image side `img` (`vaGetImage`) or back (`vaPutImage`).
fn copy_between(cap: &mut [u8], img: &mut [u8], to_image: bool) {
    if to_image {
        img.copy_from_slice(cap);
    } else {
        cap.copy_from_slice(img);
    }
}

impl State {
    /// Writes the image's own ID into its VAImage; the VAImage handed to the client.
    fn set_image_id(&mut self, id: va::VAImageID) -> va::VAImage {
        match self.images.get_mut(id) {
            Some(img) => {
                img.image.image_id = id;
                img.image
            }
            None => ioctl::zeroed(),
        }
    }

    pub fn create_image(
        &mut self,
        format: &va::VAImageFormat,
        width: u32,
        height: u32,
    ) -> VaResult<va::VAImage> {
        if format.fourcc != va::FOURCC_NV12 {
            return Err(VaError::VA_STATUS_ERROR_INVALID_IMAGE_FORMAT);
        }
        let (w, h) = ((width + 1) & !1, (height + 1) & !1);
        let size = w * h * 3 / 2;
        let data = match self
            .image_data_pool
            .iter()
            .position(|v| v.len() == size as usize)
        {
            Some(i) => self.image_data_pool.swap_remove(i),
            None => vec![0; size as usize],
        };
        let buf = self.buffers.insert(Buffer {
            type_: va::VAImageBufferType,
            size,
            num_elements: 1,
            data: BufferData::Owned(data),
        });
        let mut image: va::VAImage = ioctl::zeroed();
        image.format = *format;
        image.buf = buf;
        image.width = width as u16;
        image.height = height as u16;
        image.data_size = size;
        image.num_planes = 2;
        image.pitches[0] = w;
        image.pitches[1] = w;
        image.offsets[1] = w * h;
        let id = self.images.insert(Image {
            image,
            derived_from: None,
        });
        Ok(self.set_image_id(id))
    }

    pub fn derive_image(&mut self, surface: va::VASurfaceID) -> VaResult<va::VAImage> {
        let (width, height) = {
            let s = self.surface(surface)?;
            (s.width, s.height)
        };
        let (_, _, layout) = self.bound(surface)?;
        if layout.separate_planes {
            return Err(VaError::VA_STATUS_ERROR_OPERATION_FAILED);
        }
        let buf = self.buffers.insert(Buffer {
            type_: va::VAImageBufferType,
            size: layout.size,
            num_elements: 1,
            data: BufferData::Derived(surface),
        });
        let mut image: va::VAImage = ioctl::zeroed();
        image.format = nv12_format();
        image.buf = buf;
        image.width = width as u16;
        image.height = height as u16;
        image.data_size = layout.size;
        image.num_planes = 2;
        image.pitches[0] = layout.bytesperline;
        image.pitches[1] = layout.bytesperline;
        image.offsets[1] = layout.uv_offset;
        let id = self.images.insert(Image {
            image,
            derived_from: Some(surface),
        });
        Ok(self.set_image_id(id))
    }

    pub fn destroy_image(&mut self, id: va::VAImageID) -> VaResult<()> {
        let img = self
            .images
            .remove(id)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_IMAGE)?;
        if let Some(Buffer {
            data: BufferData::Owned(v),
            ..
        }) = self.buffers.remove(img.image.buf)
        {
            if self.image_data_pool.len() == IMAGE_DATA_POOL {
                self.image_data_pool.remove(0);
            }
            self.image_data_pool.push(v);
        }
        Ok(())
    }

    /// Copies a surface region into an image (`to_image`) or an image into a surface.
    pub fn copy_image(
        &mut self,
        surface: va::VASurfaceID,
        image: va::VAImageID,
        (x, y, w, h): (u32, u32, u32, u32),
        to_image: bool,
    ) -> VaResult<()> {
        self.sync_surface(surface)?;
        let (si, idx, layout) = self.bound(surface)?;
        let img = self
            .images
            .get(image)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_IMAGE)?
            .image;
        if img.format.fourcc != va::FOURCC_NV12 {
            return Err(VaError::VA_STATUS_ERROR_INVALID_IMAGE_FORMAT);
        }
        let Some(Buffer {
            data: BufferData::Owned(dst),
            ..
        }) = self.buffers.get_mut(img.buf)
        else {
            return Err(VaError::VA_STATUS_ERROR_INVALID_IMAGE);
        };
        let sess = self
            .sessions
            .get(si, VaError::VA_STATUS_ERROR_INVALID_SURFACE)?;
        let cb = sess
            .capture
            .by_index(idx)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_SURFACE)?;
        let w = w.min(img.width as u32).min(layout.width.saturating_sub(x)) as usize;
        let h = h
            .min(img.height as u32)
            .min(layout.height.saturating_sub(y)) as usize;
        if let Some(fd) = &cb.dmabuf {
            let _ = ioctl::dma_buf_sync(fd, false);
        }
        let (x, y, bpl) = (
            x as usize & !1,
            y as usize & !1,
            layout.bytesperline as usize,
        );
        for plane in 0..2usize {
            let rows = if plane == 0 { h } else { h / 2 };
            let (map, base) = match (plane, layout.separate_planes) {
                (0, _) => (0, 0),
                (_, true) => (1, 0),
                (_, false) => (0, layout.uv_offset as usize),
            };
            let Some(cap) = cb.maps.get_mut(map).map(|m| m.as_mut_slice()) else {
                break;
            };
            let (ioff, ipitch) = (img.offsets[plane] as usize, img.pitches[plane] as usize);
            let sy0 = if plane == 0 { y } else { y / 2 };
            if w == bpl && ipitch == bpl {
                // Full-width rows without padding on either side: the plane is one block, and
                // one large copy costs a fraction of `rows` small ones.
                let (s_off, len) = (base + sy0 * bpl, rows * bpl);
                if let (Some(c), Some(d)) = (
                    cap.get_mut(s_off..s_off + len),
                    dst.get_mut(ioff..ioff + len),
                ) {
                    copy_between(c, d, to_image);
                    continue;
                }
            }
            for row in 0..rows {
                let s_off = base + (sy0 + row) * bpl + x;
                let d_off = ioff + row * ipitch;
                let (Some(c), Some(d)) =
                    (cap.get_mut(s_off..s_off + w), dst.get_mut(d_off..d_off + w))
                else {
                    break;
                };
                copy_between(c, d, to_image);
            }
        }
        if let Some(fd) = &cb.dmabuf {
            let _ = ioctl::dma_buf_sync(fd, true);
        }
        Ok(())
    }
}

pub fn nv12_format() -> va::VAImageFormat {
    let mut f: va::VAImageFormat = ioctl::zeroed();
    f.fourcc = va::FOURCC_NV12;
    f.byte_order = va::VA_LSB_FIRST;
    f.bits_per_pixel = 12;
    f
}
