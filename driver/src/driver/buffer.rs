//! VA buffers: the client's parameter and slice data (copied in, as VA-API demands, into
//! pooled allocations), and the buffers of derived images, which map the CAPTURE buffer itself.

use super::State;
use crate::ioctl;
use crate::va::{self, VaError, VaResult};

pub enum BufferData {
    Owned(Vec<u8>),
    /// An image derived from a surface: maps onto the CAPTURE buffer itself.
    Derived(va::VASurfaceID),
}

pub struct Buffer {
    pub type_: va::VABufferType,
    pub size: u32,
    pub num_elements: u32,
    pub data: BufferData,
}

const BUFFER_DATA_POOL: usize = 16;
/// Larger buffers go back to the allocator rather than stay pooled.
const BUFFER_DATA_POOL_MAX_BYTES: usize = 8 << 20;

impl State {
    /// `data`: the client's initial contents (`size * num` bytes), if any.
    pub fn create_buffer(
        &mut self,
        type_: va::VABufferType,
        size: u32,
        num: u32,
        data: Option<&[u8]>,
    ) -> VaResult<u32> {
        let len = size as usize * num as usize;
        // The smallest pooled allocation that holds `len` bytes, else a new one.
        let mut v = self
            .buffer_data_pool
            .iter()
            .enumerate()
            .filter(|(_, v)| v.capacity() >= len)
            .min_by_key(|(_, v)| v.capacity())
            .map(|(i, _)| i)
            .map(|i| self.buffer_data_pool.swap_remove(i))
            .unwrap_or_else(|| Vec::with_capacity(len));
        v.clear();
        match data {
            Some(d) => v.extend_from_slice(d),
            None => v.resize(len, 0),
        }
        Ok(self.buffers.insert(Buffer {
            type_,
            size,
            num_elements: num,
            data: BufferData::Owned(v),
        }))
    }

    pub fn destroy_buffer(&mut self, id: va::VABufferID) -> VaResult<()> {
        let b = self
            .buffers
            .remove(id)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_BUFFER)?;
        if let BufferData::Owned(v) = b.data {
            if v.capacity() <= BUFFER_DATA_POOL_MAX_BYTES {
                if self.buffer_data_pool.len() == BUFFER_DATA_POOL {
                    // Drop the smallest: the large ones are the costly ones to allocate.
                    if let Some(smallest) =
                        (0..BUFFER_DATA_POOL).min_by_key(|&i| self.buffer_data_pool[i].capacity())
                    {
                        self.buffer_data_pool.swap_remove(smallest);
                    }
                }
                self.buffer_data_pool.push(v);
            }
        }
        Ok(())
    }

    pub fn map_buffer(&mut self, id: va::VABufferID) -> VaResult<*mut u8> {
        let b = self
            .buffers
            .get(id)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_BUFFER)?;
        match &b.data {
            BufferData::Owned(_) => match self.buffers.get_mut(id).map(|b| &mut b.data) {
                Some(BufferData::Owned(v)) => Ok(v.as_mut_ptr()),
                _ => Err(VaError::VA_STATUS_ERROR_INVALID_BUFFER),
            },
            &BufferData::Derived(surface) => {
                self.sync_surface(surface)?;
                let (si, idx, _) = self.bound(surface)?;
                let sess = self
                    .sessions
                    .get(si, VaError::VA_STATUS_ERROR_INVALID_BUFFER)?;
                let cb = sess
                    .capture
                    .by_index(idx)
                    .ok_or(VaError::VA_STATUS_ERROR_INVALID_BUFFER)?;
                if let Some(fd) = &cb.dmabuf {
                    let _ = ioctl::dma_buf_sync(fd, false);
                }
                Ok(cb.maps[0].as_ptr())
            }
        }
    }

    pub fn unmap_buffer(&mut self, id: va::VABufferID) -> VaResult<()> {
        let b = self
            .buffers
            .get(id)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_BUFFER)?;
        if let BufferData::Derived(surface) = b.data {
            if let Ok((si, idx, _)) = self.bound(surface) {
                let sess = self.sessions.find(si);
                if let Some(cb) = sess.and_then(|s| s.capture.by_index(idx)) {
                    if let Some(fd) = &cb.dmabuf {
                        let _ = ioctl::dma_buf_sync(fd, true);
                    }
                }
            }
        }
        Ok(())
    }
}
