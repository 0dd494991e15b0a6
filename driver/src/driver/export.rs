//! Surface export (vaExportSurfaceHandle): the CAPTURE buffer as a DRM PRIME dma-buf (EXPBUF
//! once per buffer, a dup per export), described as NV12 or as two R8/GR88 layers.

use super::State;
use crate::ioctl;
use crate::va::{self, VaError, VaResult};

impl State {
    pub fn export_surface(
        &mut self,
        surface: va::VASurfaceID,
        flags: u32,
    ) -> VaResult<va::VADRMPRIMESurfaceDescriptor> {
        let (width, height) = {
            let s = self.surface(surface)?;
            (s.width, s.height)
        };
        let (si, idx, layout) = self.bound(surface)?;
        if layout.separate_planes {
            return Err(VaError::VA_STATUS_ERROR_UNIMPLEMENTED);
        }
        let sess = self
            .sessions
            .get(si, VaError::VA_STATUS_ERROR_INVALID_SURFACE)?;
        let (video_type, video) = (sess.capture.type_, &sess.video);
        let cb = sess
            .capture
            .bufs
            .iter_mut()
            .find(|b| b.index == idx)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_SURFACE)?;
        let dmabuf = match &cb.dmabuf {
            Some(fd) => fd,
            None => cb
                .dmabuf
                .insert(ioctl::expbuf(video, video_type, idx, 0).map_err(|e| {
                    log::error!("EXPBUF(CAPTURE {idx}): {e}");
                    VaError::VA_STATUS_ERROR_OPERATION_FAILED
                })?),
        };
        let fd = dmabuf
            .try_clone()
            .map_err(|_| VaError::VA_STATUS_ERROR_OPERATION_FAILED)?;
        let mut d: va::VADRMPRIMESurfaceDescriptor = ioctl::zeroed();
        d.fourcc = va::FOURCC_NV12;
        d.width = width;
        d.height = height;
        d.num_objects = 1;
        d.objects[0].fd = std::os::fd::IntoRawFd::into_raw_fd(fd);
        d.objects[0].size = cb.maps.iter().map(|m| m.len() as u32).sum();
        d.objects[0].drm_format_modifier = 0; // DRM_FORMAT_MOD_LINEAR
        let bpl = layout.bytesperline;
        if flags & va::VA_EXPORT_SURFACE_SEPARATE_LAYERS != 0 {
            d.num_layers = 2;
            d.layers[0].drm_format = va::fourcc(b"R8  ");
            d.layers[0].num_planes = 1;
            d.layers[0].pitch[0] = bpl;
            d.layers[1].drm_format = va::fourcc(b"GR88");
            d.layers[1].num_planes = 1;
            d.layers[1].offset[0] = layout.uv_offset;
            d.layers[1].pitch[0] = bpl;
        } else {
            d.num_layers = 1;
            d.layers[0].drm_format = va::fourcc(b"NV12");
            d.layers[0].num_planes = 2;
            d.layers[0].pitch = [bpl, bpl, 0, 0];
            d.layers[0].offset = [0, layout.uv_offset, 0, 0];
        }
        Ok(d)
    }
}
