//! The VA entry points: `unsafe extern "C"` functions libva calls through the vtable, and the
//! driver init function. Each one converts raw pointers at the boundary (the `unsafe fn`
//! helpers [`driver`], [`out`], [`slice`], [`slice_mut`]: null where a value is required is
//! VA_STATUS_ERROR_INVALID_PARAMETER), runs the operation on the display's [`Driver`] under
//! `catch_unwind` (a panic becomes VA_STATUS_ERROR_OPERATION_FAILED and a log line, never an
//! unwind into C or an abort of the client), and turns the result into a `VAStatus`.
//!
//! The vtable functions are `unsafe`: their contract is libva's, that `ctx` is the context
//! [`__vaDriverInit_1_17`] initialised (until vaTerminate) and that every pointer argument is
//! null or valid as the VA-API documents it (an out-parameter writable, an array holding the
//! given count of elements) for the duration of the call.

use std::ffi::{c_char, c_int, c_uint, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

use std::sync::MutexGuard;

use crate::driver::{self, Driver, State};
use crate::va::{self, status, VAStatus, VaError, VaResult};

/// Profiles vaQueryConfigProfiles may return (vaMaxNumProfiles): room for every codec folder.
const MAX_PROFILES: usize = 16;
const MAX_ENTRYPOINTS: usize = 2;
const MAX_ATTRIBUTES: usize = 8;
const NUM_SURFACE_ATTRIBUTES: usize = 6;

static VENDOR: &[u8] = concat!(
    "v4l2-request (vatrace Rust driver ",
    env!("CARGO_PKG_VERSION"),
    ")\0"
)
.as_bytes();

/// Runs `f`, catching panics.
fn guard(name: &str, f: impl FnOnce() -> VaResult<()>) -> VAStatus {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => status::VA_STATUS_SUCCESS,
        Ok(Err(e)) => {
            log::debug!("{name}: status {:#x}", e.0);
            e.0
        }
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            log::error!("{name}: panic ({msg}): returning VA_STATUS_ERROR_OPERATION_FAILED");
            status::VA_STATUS_ERROR_OPERATION_FAILED
        }
    }
}

/// The display's [`Driver`].
///
/// # Safety
/// `ctx` must be null or the context libva initialised this driver with, whose `pDriverData` is
/// null or the `Box<Driver>` leaked by [`init`], alive (not terminated) for `'a`.
unsafe fn driver<'a>(ctx: va::VADriverContextP) -> VaResult<&'a Driver> {
    // SAFETY: guaranteed by the caller: `ctx` is null or a live context whose `pDriverData` is
    // null or a live `Driver`.
    unsafe {
        ctx.as_ref()
            .and_then(|c| (c.pDriverData as *const Driver).as_ref())
    }
    .ok_or(VaError::VA_STATUS_ERROR_OPERATION_FAILED)
}

/// The display's state, locked ([`Driver::lock`]: OPERATION_FAILED once poisoned).
///
/// # Safety
/// As [`driver`].
unsafe fn state<'a>(ctx: va::VADriverContextP) -> VaResult<MutexGuard<'a, State>> {
    // SAFETY: forwarded contract.
    unsafe { driver(ctx) }?.lock()
}

/// Writes an out-parameter (INVALID_PARAMETER for null).
///
/// # Safety
/// `p` must be null or valid for writing one aligned `T`.
unsafe fn out<T>(p: *mut T, v: T) -> VaResult<()> {
    if p.is_null() {
        return Err(VaError::VA_STATUS_ERROR_INVALID_PARAMETER);
    }
    // SAFETY: non-null, and valid for the write by the caller's guarantee.
    unsafe { p.write(v) };
    Ok(())
}

/// A client array as a slice: empty for `n == 0`, INVALID_PARAMETER for null with `n > 0`.
///
/// # Safety
/// `p` must be null or point to `n` initialised, aligned `T`s that nothing writes for `'a`.
unsafe fn slice<'a, T>(p: *const T, n: usize) -> VaResult<&'a [T]> {
    if n == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(VaError::VA_STATUS_ERROR_INVALID_PARAMETER);
    }
    // SAFETY: non-null, and `n` readable elements by the caller's guarantee.
    Ok(unsafe { std::slice::from_raw_parts(p, n) })
}

/// A client out-array as a slice: empty for `n == 0`, INVALID_PARAMETER for null with `n > 0`.
///
/// # Safety
/// `p` must be null or point to `n` initialised, aligned `T`s that nothing else accesses for `'a`.
unsafe fn slice_mut<'a, T>(p: *mut T, n: usize) -> VaResult<&'a mut [T]> {
    if n == 0 {
        return Ok(&mut []);
    }
    if p.is_null() {
        return Err(VaError::VA_STATUS_ERROR_INVALID_PARAMETER);
    }
    // SAFETY: non-null, and `n` writable elements used by nothing else, by the caller's guarantee.
    Ok(unsafe { std::slice::from_raw_parts_mut(p, n) })
}

unsafe extern "C" fn terminate(ctx: va::VADriverContextP) -> VAStatus {
    guard("vaTerminate", || {
        // SAFETY: see `driver`; we take back the Box leaked at init and clear the pointer.
        let c = unsafe { ctx.as_mut() }.ok_or(VaError::VA_STATUS_ERROR_OPERATION_FAILED)?;
        if !c.pDriverData.is_null() {
            // SAFETY: pDriverData is the Box<Driver> from init, not used after this.
            drop(unsafe { Box::from_raw(c.pDriverData as *mut Driver) });
            c.pDriverData = std::ptr::null_mut();
        }
        Ok(())
    })
}

unsafe extern "C" fn query_config_profiles(
    ctx: va::VADriverContextP,
    list: *mut va::VAProfile,
    num: *mut c_int,
) -> VAStatus {
    guard("vaQueryConfigProfiles", || {
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        let p = unsafe { state(ctx) }?.profiles();
        let n = p.len().min(MAX_PROFILES);
        // SAFETY: VA-API arrays are null or hold the given number of elements, for this call.
        unsafe { slice_mut(list, n) }?.copy_from_slice(&p[..n]);
        // SAFETY: VA-API out-parameters are null or point to writable storage of their type.
        unsafe { out(num, n as c_int) }
    })
}

unsafe extern "C" fn query_config_entrypoints(
    ctx: va::VADriverContextP,
    profile: va::VAProfile,
    list: *mut va::VAEntrypoint,
    num: *mut c_int,
) -> VAStatus {
    guard("vaQueryConfigEntrypoints", || {
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        if !unsafe { state(ctx) }?.profiles().contains(&profile) {
            return Err(VaError::VA_STATUS_ERROR_UNSUPPORTED_PROFILE);
        }
        // SAFETY: VA-API arrays are null or hold the given number of elements, for this call.
        unsafe { slice_mut(list, 1) }?[0] = va::VAEntrypointVLD;
        // SAFETY: VA-API out-parameters are null or point to writable storage of their type.
        unsafe { out(num, 1) }
    })
}

fn fill_attribs(attribs: &mut [va::VAConfigAttrib]) {
    for a in attribs {
        a.value = match a.type_ {
            va::VAConfigAttribRTFormat => va::VA_RT_FORMAT_YUV420,
            va::VAConfigAttribMaxPictureWidth | va::VAConfigAttribMaxPictureHeight => 4096,
            _ => va::VA_ATTRIB_NOT_SUPPORTED,
        };
    }
}

unsafe extern "C" fn get_config_attributes(
    ctx: va::VADriverContextP,
    profile: va::VAProfile,
    entrypoint: va::VAEntrypoint,
    list: *mut va::VAConfigAttrib,
    num: c_int,
) -> VAStatus {
    guard("vaGetConfigAttributes", || {
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        if !unsafe { state(ctx) }?.profiles().contains(&profile) {
            return Err(VaError::VA_STATUS_ERROR_UNSUPPORTED_PROFILE);
        }
        if entrypoint != va::VAEntrypointVLD {
            return Err(VaError::VA_STATUS_ERROR_UNSUPPORTED_ENTRYPOINT);
        }
        // SAFETY: VA-API arrays are null or hold the given number of elements, for this call.
        fill_attribs(unsafe { slice_mut(list, num.max(0) as usize) }?);
        Ok(())
    })
}

unsafe extern "C" fn create_config(
    ctx: va::VADriverContextP,
    profile: va::VAProfile,
    entrypoint: va::VAEntrypoint,
    list: *mut va::VAConfigAttrib,
    num: c_int,
    config: *mut va::VAConfigID,
) -> VAStatus {
    guard("vaCreateConfig", || {
        // SAFETY: VA-API arrays are null or hold the given number of elements, for this call.
        for a in unsafe { slice(list, num.max(0) as usize) }? {
            if a.type_ == va::VAConfigAttribRTFormat && a.value & va::VA_RT_FORMAT_YUV420 == 0 {
                return Err(VaError::VA_STATUS_ERROR_UNSUPPORTED_RT_FORMAT);
            }
        }
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        let id = unsafe { state(ctx) }?.create_config(profile, entrypoint)?;
        // SAFETY: VA-API out-parameters are null or point to writable storage of their type.
        unsafe { out(config, id) }
    })
}

unsafe extern "C" fn destroy_config(ctx: va::VADriverContextP, config: va::VAConfigID) -> VAStatus {
    guard("vaDestroyConfig", || {
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        unsafe { state(ctx) }?
            .configs
            .remove(config)
            .map(drop)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_CONFIG)
    })
}

unsafe extern "C" fn query_config_attributes(
    ctx: va::VADriverContextP,
    config: va::VAConfigID,
    profile: *mut va::VAProfile,
    entrypoint: *mut va::VAEntrypoint,
    list: *mut va::VAConfigAttrib,
    num: *mut c_int,
) -> VAStatus {
    guard("vaQueryConfigAttributes", || {
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        let d = unsafe { state(ctx) }?;
        let c = d
            .configs
            .get(config)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_CONFIG)?;
        // SAFETY: VA-API out-parameters are null or point to writable storage of their type.
        unsafe { out(profile, c.profile) }?;
        // SAFETY: VA-API out-parameters are null or point to writable storage of their type.
        unsafe { out(entrypoint, c.entrypoint) }?;
        // SAFETY: `list` is null (nothing written) or a writable attribute array.
        if let Some(a) = unsafe { list.as_mut() } {
            a.type_ = va::VAConfigAttribRTFormat;
            a.value = va::VA_RT_FORMAT_YUV420;
        }
        // SAFETY: VA-API out-parameters are null or point to writable storage of their type.
        unsafe { out(num, 1) }
    })
}

/// vaCreateSurfaces(2): checks the format and attributes, then fills `surfaces`.
///
/// # Safety
/// `ctx` as in [`driver`]; `surfaces` null or `num` writable IDs.
unsafe fn create_surfaces_impl(
    ctx: va::VADriverContextP,
    format: c_uint,
    width: c_uint,
    height: c_uint,
    surfaces: *mut va::VASurfaceID,
    num: c_uint,
    attribs: &[va::VASurfaceAttrib],
) -> VaResult<()> {
    if format != va::VA_RT_FORMAT_YUV420 {
        return Err(VaError::VA_STATUS_ERROR_UNSUPPORTED_RT_FORMAT);
    }
    for a in attribs {
        let int = if a.value.type_ == va::VAGenericValueTypeInteger {
            // SAFETY: `value.value.i` is the member `value.type_` says is set.
            Some(unsafe { a.value.value.i } as u32)
        } else {
            None
        };
        match (a.type_, int) {
            (va::VASurfaceAttribPixelFormat, Some(f)) if f != va::FOURCC_NV12 => {
                return Err(VaError::VA_STATUS_ERROR_INVALID_IMAGE_FORMAT)
            }
            (va::VASurfaceAttribMemoryType, Some(m)) if m != va::VA_SURFACE_ATTRIB_MEM_TYPE_VA => {
                return Err(VaError::VA_STATUS_ERROR_UNSUPPORTED_MEMORY_TYPE)
            }
            _ => {}
        }
    }
    // SAFETY: VA-API arrays are null or hold the given number of elements, for this call.
    let out = unsafe { slice_mut(surfaces, num as usize) }?;
    // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
    unsafe { state(ctx) }?.create_surfaces(width, height, out);
    Ok(())
}

unsafe extern "C" fn create_surfaces(
    ctx: va::VADriverContextP,
    width: c_int,
    height: c_int,
    format: c_int,
    num: c_int,
    surfaces: *mut va::VASurfaceID,
) -> VAStatus {
    guard("vaCreateSurfaces", || {
        // SAFETY: libva's context, and `surfaces` holds `num` IDs (VA-API).
        unsafe {
            create_surfaces_impl(
                ctx,
                format as c_uint,
                width as c_uint,
                height as c_uint,
                surfaces,
                num.max(0) as c_uint,
                &[],
            )
        }
    })
}

unsafe extern "C" fn create_surfaces2(
    ctx: va::VADriverContextP,
    format: c_uint,
    width: c_uint,
    height: c_uint,
    surfaces: *mut va::VASurfaceID,
    num: c_uint,
    attribs: *mut va::VASurfaceAttrib,
    num_attribs: c_uint,
) -> VAStatus {
    guard("vaCreateSurfaces2", || {
        // SAFETY: VA-API arrays are null or hold the given number of elements, for this call.
        let attribs = unsafe { slice(attribs, num_attribs as usize) }?;
        // SAFETY: libva's context, and `surfaces` holds `num` IDs (VA-API).
        unsafe { create_surfaces_impl(ctx, format, width, height, surfaces, num, attribs) }
    })
}

unsafe extern "C" fn destroy_surfaces(
    ctx: va::VADriverContextP,
    list: *mut va::VASurfaceID,
    num: c_int,
) -> VAStatus {
    guard("vaDestroySurfaces", || {
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        let mut d = unsafe { state(ctx) }?;
        let mut r = Ok(());
        // SAFETY: VA-API arrays are null or hold the given number of elements, for this call.
        for &s in unsafe { slice(list, num.max(0) as usize) }? {
            r = r.and(d.destroy_surface(s));
        }
        r
    })
}

unsafe extern "C" fn query_surface_attributes(
    ctx: va::VADriverContextP,
    config: va::VAConfigID,
    list: *mut va::VASurfaceAttrib,
    num: *mut c_uint,
) -> VAStatus {
    guard("vaQuerySurfaceAttributes", || {
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        if unsafe { state(ctx) }?.configs.get(config).is_none() {
            return Err(VaError::VA_STATUS_ERROR_INVALID_CONFIG);
        }
        if list.is_null() {
            // SAFETY: VA-API out-parameters are null or point to writable storage of their type.
            return unsafe { out(num, NUM_SURFACE_ATTRIBUTES as c_uint) };
        }
        let int = |type_, flags, v: i32| {
            let mut a: va::VASurfaceAttrib = crate::ioctl::zeroed();
            a.type_ = type_;
            a.flags = flags;
            a.value.type_ = va::VAGenericValueTypeInteger;
            a.value.value.i = v;
            a
        };
        let gs = va::VA_SURFACE_ATTRIB_GETTABLE | va::VA_SURFACE_ATTRIB_SETTABLE;
        let attrs: [va::VASurfaceAttrib; NUM_SURFACE_ATTRIBUTES] = [
            int(va::VASurfaceAttribPixelFormat, gs, va::FOURCC_NV12 as i32),
            int(
                va::VASurfaceAttribMinWidth,
                va::VA_SURFACE_ATTRIB_GETTABLE,
                16,
            ),
            int(
                va::VASurfaceAttribMaxWidth,
                va::VA_SURFACE_ATTRIB_GETTABLE,
                4096,
            ),
            int(
                va::VASurfaceAttribMinHeight,
                va::VA_SURFACE_ATTRIB_GETTABLE,
                16,
            ),
            int(
                va::VASurfaceAttribMaxHeight,
                va::VA_SURFACE_ATTRIB_GETTABLE,
                4096,
            ),
            int(
                va::VASurfaceAttribMemoryType,
                gs,
                (va::VA_SURFACE_ATTRIB_MEM_TYPE_VA | va::VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2)
                    as i32,
            ),
        ];
        // SAFETY: `num` is the caller's capacity of `list`, read before writing it.
        let cap = unsafe { num.as_ref() }
            .copied()
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_PARAMETER)? as usize;
        let n = cap.min(attrs.len());
        // SAFETY: VA-API arrays are null or hold the given number of elements, for this call.
        unsafe { slice_mut(list, n) }?.copy_from_slice(&attrs[..n]);
        // SAFETY: VA-API out-parameters are null or point to writable storage of their type.
        unsafe { out(num, n as c_uint) }?;
        if cap < attrs.len() {
            return Err(VaError::VA_STATUS_ERROR_MAX_NUM_EXCEEDED);
        }
        Ok(())
    })
}

unsafe extern "C" fn create_context(
    ctx: va::VADriverContextP,
    config: va::VAConfigID,
    width: c_int,
    height: c_int,
    _flag: c_int,
    targets: *mut va::VASurfaceID,
    num_targets: c_int,
    context: *mut va::VAContextID,
) -> VAStatus {
    guard("vaCreateContext", || {
        // Render targets are a hint: null is accepted as none.
        let t = if targets.is_null() {
            &[]
        } else {
            // SAFETY: VA-API arrays are null or hold the given number of elements, for this call.
            unsafe { slice(targets, num_targets.max(0) as usize) }?
        };
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        let id = unsafe { state(ctx) }?.create_context(config, width as u32, height as u32, t)?;
        // SAFETY: VA-API out-parameters are null or point to writable storage of their type.
        unsafe { out(context, id) }
    })
}

unsafe extern "C" fn destroy_context(
    ctx: va::VADriverContextP,
    context: va::VAContextID,
) -> VAStatus {
    guard("vaDestroyContext", || {
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        unsafe { state(ctx) }?.destroy_context(context)
    })
}

unsafe extern "C" fn create_buffer(
    ctx: va::VADriverContextP,
    _context: va::VAContextID,
    type_: va::VABufferType,
    size: c_uint,
    num: c_uint,
    data: *mut c_void,
    buf: *mut va::VABufferID,
) -> VAStatus {
    guard("vaCreateBuffer", || {
        let len = size as usize * num as usize;
        let init = if data.is_null() {
            None
        } else {
            // SAFETY: non-null `data` holds `size * num` bytes (VA-API).
            Some(unsafe { slice(data as *const u8, len) }?)
        };
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        let id = unsafe { state(ctx) }?.create_buffer(type_, size, num, init)?;
        // SAFETY: VA-API out-parameters are null or point to writable storage of their type.
        unsafe { out(buf, id) }
    })
}

unsafe extern "C" fn buffer_set_num_elements(
    ctx: va::VADriverContextP,
    buf: va::VABufferID,
    num: c_uint,
) -> VAStatus {
    guard("vaBufferSetNumElements", || {
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        let mut d = unsafe { state(ctx) }?;
        let b = d
            .buffers
            .get_mut(buf)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_BUFFER)?;
        if let driver::BufferData::Owned(v) = &mut b.data {
            v.resize(b.size as usize * num as usize, 0);
        }
        b.num_elements = num;
        Ok(())
    })
}

unsafe extern "C" fn map_buffer(
    ctx: va::VADriverContextP,
    buf: va::VABufferID,
    pbuf: *mut *mut c_void,
) -> VAStatus {
    guard("vaMapBuffer", || {
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        let p = unsafe { state(ctx) }?.map_buffer(buf)?;
        // SAFETY: VA-API out-parameters are null or point to writable storage of their type.
        unsafe { out(pbuf, p as *mut c_void) }
    })
}

unsafe extern "C" fn unmap_buffer(ctx: va::VADriverContextP, buf: va::VABufferID) -> VAStatus {
    guard("vaUnmapBuffer", || {
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        unsafe { state(ctx) }?.unmap_buffer(buf)
    })
}

unsafe extern "C" fn destroy_buffer(ctx: va::VADriverContextP, buf: va::VABufferID) -> VAStatus {
    guard("vaDestroyBuffer", || {
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        unsafe { state(ctx) }?.destroy_buffer(buf)
    })
}

unsafe extern "C" fn buffer_info(
    ctx: va::VADriverContextP,
    buf: va::VABufferID,
    type_: *mut va::VABufferType,
    size: *mut c_uint,
    num: *mut c_uint,
) -> VAStatus {
    guard("vaBufferInfo", || {
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        let d = unsafe { state(ctx) }?;
        let b = d
            .buffers
            .get(buf)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_BUFFER)?;
        // SAFETY: VA-API out-parameters are null or point to writable storage of their type.
        unsafe { out(type_, b.type_) }?;
        // SAFETY: VA-API out-parameters are null or point to writable storage of their type.
        unsafe { out(size, b.size) }?;
        // SAFETY: VA-API out-parameters are null or point to writable storage of their type.
        unsafe { out(num, b.num_elements) }
    })
}

unsafe extern "C" fn begin_picture(
    ctx: va::VADriverContextP,
    context: va::VAContextID,
    target: va::VASurfaceID,
) -> VAStatus {
    guard("vaBeginPicture", || {
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        unsafe { state(ctx) }?.begin_picture(context, target)
    })
}

unsafe extern "C" fn render_picture(
    ctx: va::VADriverContextP,
    context: va::VAContextID,
    buffers: *mut va::VABufferID,
    num: c_int,
) -> VAStatus {
    guard("vaRenderPicture", || {
        // SAFETY: VA-API arrays are null or hold the given number of elements, for this call.
        let buffers = unsafe { slice(buffers, num.max(0) as usize) }?;
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        unsafe { state(ctx) }?.render_picture(context, buffers)
    })
}

unsafe extern "C" fn end_picture(ctx: va::VADriverContextP, context: va::VAContextID) -> VAStatus {
    guard("vaEndPicture", || {
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        unsafe { state(ctx) }?.end_picture(context)
    })
}

unsafe extern "C" fn sync_surface(ctx: va::VADriverContextP, surface: va::VASurfaceID) -> VAStatus {
    guard("vaSyncSurface", || {
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        unsafe { state(ctx) }?.sync_surface(surface)
    })
}

unsafe extern "C" fn query_surface_status(
    ctx: va::VADriverContextP,
    surface: va::VASurfaceID,
    st: *mut va::VASurfaceStatus,
) -> VAStatus {
    guard("vaQuerySurfaceStatus", || {
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        let busy = unsafe { state(ctx) }?.surface_busy(surface)?;
        let v = if busy {
            va::VASurfaceRendering
        } else {
            va::VASurfaceReady
        };
        // SAFETY: VA-API out-parameters are null or point to writable storage of their type.
        unsafe { out(st, v) }
    })
}

unsafe extern "C" fn query_surface_error(
    _ctx: va::VADriverContextP,
    _surface: va::VASurfaceID,
    _error_status: va::VAStatus,
    _error_info: *mut *mut c_void,
) -> VAStatus {
    status::VA_STATUS_ERROR_UNIMPLEMENTED
}

unsafe extern "C" fn put_surface(
    _ctx: va::VADriverContextP,
    _surface: va::VASurfaceID,
    _draw: *mut c_void,
    _srcx: i16,
    _srcy: i16,
    _srcw: u16,
    _srch: u16,
    _destx: i16,
    _desty: i16,
    _destw: u16,
    _desth: u16,
    _cliprects: *mut va::VARectangle,
    _num_cliprects: c_uint,
    _flags: c_uint,
) -> VAStatus {
    status::VA_STATUS_ERROR_UNIMPLEMENTED
}

unsafe extern "C" fn query_image_formats(
    ctx: va::VADriverContextP,
    list: *mut va::VAImageFormat,
    num: *mut c_int,
) -> VAStatus {
    guard("vaQueryImageFormats", || {
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        unsafe { driver(ctx) }?;
        // SAFETY: `list` is null (nothing written) or holds `max_image_formats` (1) formats.
        if let Some(f) = unsafe { list.as_mut() } {
            *f = driver::nv12_format();
        }
        // SAFETY: VA-API out-parameters are null or point to writable storage of their type.
        unsafe { out(num, 1) }
    })
}

unsafe extern "C" fn create_image(
    ctx: va::VADriverContextP,
    format: *mut va::VAImageFormat,
    width: c_int,
    height: c_int,
    image: *mut va::VAImage,
) -> VAStatus {
    guard("vaCreateImage", || {
        // SAFETY: `format` is null or points to the client's image format (VA-API).
        let f = unsafe { format.as_ref() }
            .copied()
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_PARAMETER)?;
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        let img = unsafe { state(ctx) }?.create_image(&f, width as u32, height as u32)?;
        // SAFETY: VA-API out-parameters are null or point to writable storage of their type.
        unsafe { out(image, img) }
    })
}

unsafe extern "C" fn derive_image(
    ctx: va::VADriverContextP,
    surface: va::VASurfaceID,
    image: *mut va::VAImage,
) -> VAStatus {
    guard("vaDeriveImage", || {
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        let img = unsafe { state(ctx) }?.derive_image(surface)?;
        // SAFETY: VA-API out-parameters are null or point to writable storage of their type.
        unsafe { out(image, img) }
    })
}

unsafe extern "C" fn destroy_image(ctx: va::VADriverContextP, image: va::VAImageID) -> VAStatus {
    guard("vaDestroyImage", || {
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        unsafe { state(ctx) }?.destroy_image(image)
    })
}

unsafe extern "C" fn set_image_palette(
    _ctx: va::VADriverContextP,
    _image: va::VAImageID,
    _palette: *mut u8,
) -> VAStatus {
    status::VA_STATUS_ERROR_UNIMPLEMENTED
}

unsafe extern "C" fn get_image(
    ctx: va::VADriverContextP,
    surface: va::VASurfaceID,
    x: c_int,
    y: c_int,
    width: c_uint,
    height: c_uint,
    image: va::VAImageID,
) -> VAStatus {
    guard("vaGetImage", || {
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        unsafe { state(ctx) }?.copy_image(
            surface,
            image,
            (x.max(0) as u32, y.max(0) as u32, width, height),
            true,
        )
    })
}

unsafe extern "C" fn put_image(
    ctx: va::VADriverContextP,
    surface: va::VASurfaceID,
    image: va::VAImageID,
    src_x: c_int,
    src_y: c_int,
    src_w: c_uint,
    src_h: c_uint,
    dst_x: c_int,
    dst_y: c_int,
    dst_w: c_uint,
    dst_h: c_uint,
) -> VAStatus {
    guard("vaPutImage", || {
        // Only unscaled copies at the same position are supported.
        if src_x != dst_x || src_y != dst_y || src_w != dst_w || src_h != dst_h {
            return Err(VaError::VA_STATUS_ERROR_UNIMPLEMENTED);
        }
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        unsafe { state(ctx) }?.copy_image(
            surface,
            image,
            (dst_x.max(0) as u32, dst_y.max(0) as u32, dst_w, dst_h),
            false,
        )
    })
}

unsafe extern "C" fn query_subpicture_formats(
    _ctx: va::VADriverContextP,
    _list: *mut va::VAImageFormat,
    _flags: *mut c_uint,
    num: *mut c_uint,
) -> VAStatus {
    guard("vaQuerySubpictureFormats", || {
        // SAFETY: VA-API out-parameters are null or point to writable storage of their type.
        unsafe { out(num, 0) }
    })
}

unsafe extern "C" fn create_subpicture(
    _ctx: va::VADriverContextP,
    _image: va::VAImageID,
    _sub: *mut va::VASubpictureID,
) -> VAStatus {
    status::VA_STATUS_ERROR_UNIMPLEMENTED
}

unsafe extern "C" fn destroy_subpicture(
    _ctx: va::VADriverContextP,
    _sub: va::VASubpictureID,
) -> VAStatus {
    status::VA_STATUS_ERROR_UNIMPLEMENTED
}

unsafe extern "C" fn set_subpicture_image(
    _ctx: va::VADriverContextP,
    _sub: va::VASubpictureID,
    _image: va::VAImageID,
) -> VAStatus {
    status::VA_STATUS_ERROR_UNIMPLEMENTED
}

unsafe extern "C" fn set_subpicture_chromakey(
    _ctx: va::VADriverContextP,
    _sub: va::VASubpictureID,
    _min: c_uint,
    _max: c_uint,
    _mask: c_uint,
) -> VAStatus {
    status::VA_STATUS_ERROR_UNIMPLEMENTED
}

unsafe extern "C" fn set_subpicture_global_alpha(
    _ctx: va::VADriverContextP,
    _sub: va::VASubpictureID,
    _alpha: f32,
) -> VAStatus {
    status::VA_STATUS_ERROR_UNIMPLEMENTED
}

unsafe extern "C" fn associate_subpicture(
    _ctx: va::VADriverContextP,
    _sub: va::VASubpictureID,
    _surfaces: *mut va::VASurfaceID,
    _num: c_int,
    _sx: i16,
    _sy: i16,
    _sw: u16,
    _sh: u16,
    _dx: i16,
    _dy: i16,
    _dw: u16,
    _dh: u16,
    _flags: c_uint,
) -> VAStatus {
    status::VA_STATUS_ERROR_UNIMPLEMENTED
}

unsafe extern "C" fn deassociate_subpicture(
    _ctx: va::VADriverContextP,
    _sub: va::VASubpictureID,
    _surfaces: *mut va::VASurfaceID,
    _num: c_int,
) -> VAStatus {
    status::VA_STATUS_ERROR_UNIMPLEMENTED
}

unsafe extern "C" fn query_display_attributes(
    _ctx: va::VADriverContextP,
    _list: *mut va::VADisplayAttribute,
    num: *mut c_int,
) -> VAStatus {
    guard("vaQueryDisplayAttributes", || {
        // SAFETY: VA-API out-parameters are null or point to writable storage of their type.
        unsafe { out(num, 0) }
    })
}

unsafe extern "C" fn get_display_attributes(
    _ctx: va::VADriverContextP,
    _list: *mut va::VADisplayAttribute,
    _num: c_int,
) -> VAStatus {
    status::VA_STATUS_ERROR_UNIMPLEMENTED
}

unsafe extern "C" fn set_display_attributes(
    _ctx: va::VADriverContextP,
    _list: *mut va::VADisplayAttribute,
    _num: c_int,
) -> VAStatus {
    status::VA_STATUS_ERROR_UNIMPLEMENTED
}

unsafe extern "C" fn export_surface_handle(
    ctx: va::VADriverContextP,
    surface: va::VASurfaceID,
    mem_type: u32,
    flags: u32,
    descriptor: *mut c_void,
) -> VAStatus {
    guard("vaExportSurfaceHandle", || {
        if mem_type != va::VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2 {
            return Err(VaError::VA_STATUS_ERROR_UNSUPPORTED_MEMORY_TYPE);
        }
        // SAFETY: `ctx` is the context libva passes to every vtable call (see `driver`).
        let d = unsafe { state(ctx) }?.export_surface(surface, flags)?;
        // SAFETY: VA-API out-parameters are null or point to writable storage of their type.
        unsafe { out(descriptor as *mut va::VADRMPRIMESurfaceDescriptor, d) }
    })
}

/// Fills the context and vtable libva allocated.
///
/// # Safety
/// As [`__vaDriverInit_1_17`].
unsafe fn init(ctx: va::VADriverContextP) -> VaResult<()> {
    crate::logger::init();
    // SAFETY: by the caller's guarantee, null or a valid, exclusively-owned context.
    let c = unsafe { ctx.as_mut() }.ok_or(VaError::VA_STATUS_ERROR_INVALID_PARAMETER)?;
    // SAFETY: libva allocated the vtable (zeroed) before calling init; we fill it in place.
    let vt = unsafe { c.vtable.as_mut() }.ok_or(VaError::VA_STATUS_ERROR_INVALID_PARAMETER)?;
    c.version_major = va::VA_MAJOR_VERSION as c_int;
    c.version_minor = va::VA_MINOR_VERSION as c_int;
    c.max_profiles = MAX_PROFILES as c_int;
    c.max_entrypoints = MAX_ENTRYPOINTS as c_int;
    c.max_attributes = MAX_ATTRIBUTES as c_int;
    c.max_image_formats = 1;
    c.max_subpic_formats = 1;
    c.max_display_attributes = 1;
    c.str_vendor = VENDOR.as_ptr() as *const c_char;

    vt.vaTerminate = Some(terminate);
    vt.vaQueryConfigProfiles = Some(query_config_profiles);
    vt.vaQueryConfigEntrypoints = Some(query_config_entrypoints);
    vt.vaGetConfigAttributes = Some(get_config_attributes);
    vt.vaCreateConfig = Some(create_config);
    vt.vaDestroyConfig = Some(destroy_config);
    vt.vaQueryConfigAttributes = Some(query_config_attributes);
    vt.vaCreateSurfaces = Some(create_surfaces);
    vt.vaCreateSurfaces2 = Some(create_surfaces2);
    vt.vaDestroySurfaces = Some(destroy_surfaces);
    vt.vaQuerySurfaceAttributes = Some(query_surface_attributes);
    vt.vaCreateContext = Some(create_context);
    vt.vaDestroyContext = Some(destroy_context);
    vt.vaCreateBuffer = Some(create_buffer);
    vt.vaBufferSetNumElements = Some(buffer_set_num_elements);
    vt.vaMapBuffer = Some(map_buffer);
    vt.vaUnmapBuffer = Some(unmap_buffer);
    vt.vaDestroyBuffer = Some(destroy_buffer);
    vt.vaBufferInfo = Some(buffer_info);
    vt.vaBeginPicture = Some(begin_picture);
    vt.vaRenderPicture = Some(render_picture);
    vt.vaEndPicture = Some(end_picture);
    vt.vaSyncSurface = Some(sync_surface);
    vt.vaQuerySurfaceStatus = Some(query_surface_status);
    vt.vaQuerySurfaceError = Some(query_surface_error);
    vt.vaPutSurface = Some(put_surface);
    vt.vaQueryImageFormats = Some(query_image_formats);
    vt.vaCreateImage = Some(create_image);
    vt.vaDeriveImage = Some(derive_image);
    vt.vaDestroyImage = Some(destroy_image);
    vt.vaSetImagePalette = Some(set_image_palette);
    vt.vaGetImage = Some(get_image);
    vt.vaPutImage = Some(put_image);
    vt.vaQuerySubpictureFormats = Some(query_subpicture_formats);
    vt.vaCreateSubpicture = Some(create_subpicture);
    vt.vaDestroySubpicture = Some(destroy_subpicture);
    vt.vaSetSubpictureImage = Some(set_subpicture_image);
    vt.vaSetSubpictureChromakey = Some(set_subpicture_chromakey);
    vt.vaSetSubpictureGlobalAlpha = Some(set_subpicture_global_alpha);
    vt.vaAssociateSubpicture = Some(associate_subpicture);
    vt.vaDeassociateSubpicture = Some(deassociate_subpicture);
    vt.vaQueryDisplayAttributes = Some(query_display_attributes);
    vt.vaGetDisplayAttributes = Some(get_display_attributes);
    vt.vaSetDisplayAttributes = Some(set_display_attributes);
    vt.vaExportSurfaceHandle = Some(export_surface_handle);

    c.pDriverData = Box::into_raw(Box::new(Driver::new())) as *mut c_void;
    Ok(())
}

/// The driver init function libva 2.17 looks up (it tries its own minor first, then older).
///
/// # Safety
/// `ctx` must be null or a `VADriverContext` that the caller owns exclusively during the call,
/// whose `vtable` is null or a zeroed, writable `VADriverVTable`, as libva's `va_openDriver`
/// allocates them; the vtable functions then require the same context in every call, until
/// `vaTerminate`.
#[no_mangle]
pub unsafe extern "C" fn __vaDriverInit_1_17(ctx: va::VADriverContextP) -> VAStatus {
    // SAFETY: forwarded contract.
    guard("__vaDriverInit", || unsafe { init(ctx) })
}

/// Older libva 2.x (>= 2.1: vaExportSurfaceHandle) finds this one; newer ones find 1_17.
///
/// # Safety
/// As [`__vaDriverInit_1_17`].
#[no_mangle]
pub unsafe extern "C" fn __vaDriverInit_1_1(ctx: va::VADriverContextP) -> VAStatus {
    // SAFETY: forwarded contract.
    guard("__vaDriverInit", || unsafe { init(ctx) })
}

#[cfg(test)]
mod tests {
    //! Host tests of the boundary's answers to bad pointers and to a poisoned state. The host
    //! has no decoder, so the driver initialises with no profiles; none of these reach a device.
    use super::*;

    /// A context as libva would hand it over after init, and its driver.
    struct Ctx {
        ctx: Box<va::VADriverContext>,
    }

    impl Ctx {
        fn new() -> Ctx {
            let mut ctx = Box::new(va::VADriverContext::default());
            ctx.pDriverData = Box::into_raw(Box::new(Driver::new())) as *mut c_void;
            Ctx { ctx }
        }
        fn p(&mut self) -> va::VADriverContextP {
            &mut *self.ctx
        }
    }

    impl Drop for Ctx {
        fn drop(&mut self) {
            let p = self.p();
            // SAFETY: the context made in `new`, terminated once.
            assert_eq!(unsafe { terminate(p) }, status::VA_STATUS_SUCCESS);
        }
    }

    #[test]
    fn null_arrays_with_a_count_are_invalid_parameters() {
        let mut c = Ctx::new();
        let null_ids = std::ptr::null_mut();
        // SAFETY: a live context; the arrays are null on purpose, which must be refused.
        unsafe {
            assert_eq!(
                destroy_surfaces(c.p(), null_ids, 3),
                status::VA_STATUS_ERROR_INVALID_PARAMETER
            );
            assert_eq!(
                render_picture(c.p(), 1, null_ids, 2),
                status::VA_STATUS_ERROR_INVALID_PARAMETER
            );
            assert_eq!(
                create_surfaces(c.p(), 64, 64, va::VA_RT_FORMAT_YUV420 as c_int, 2, null_ids),
                status::VA_STATUS_ERROR_INVALID_PARAMETER
            );
            let mut id = 0;
            assert_eq!(
                create_buffer(
                    c.p(),
                    1,
                    0,
                    4,
                    1,
                    std::ptr::null_mut(),
                    std::ptr::null_mut()
                ),
                status::VA_STATUS_ERROR_INVALID_PARAMETER
            );
            // An empty list is fine whatever its pointer, and a real one still works.
            assert_eq!(
                destroy_surfaces(c.p(), null_ids, 0),
                status::VA_STATUS_SUCCESS
            );
            assert_eq!(
                create_surfaces(c.p(), 64, 64, va::VA_RT_FORMAT_YUV420 as c_int, 1, &mut id),
                status::VA_STATUS_SUCCESS
            );
            assert_eq!(
                destroy_surfaces(c.p(), &mut id, 1),
                status::VA_STATUS_SUCCESS
            );
        }
    }

    #[test]
    fn null_context_or_driver_data_is_an_error_not_a_crash() {
        let mut num = 0;
        // SAFETY: a null context, which must be refused.
        let st =
            unsafe { query_config_profiles(std::ptr::null_mut(), std::ptr::null_mut(), &mut num) };
        assert_eq!(st, status::VA_STATUS_ERROR_OPERATION_FAILED);
        let mut ctx = va::VADriverContext::default();
        // SAFETY: a context without driver data, which must be refused.
        let st = unsafe { destroy_config(&mut ctx, 1) };
        assert_eq!(st, status::VA_STATUS_ERROR_OPERATION_FAILED);
    }

    #[test]
    fn a_poisoned_state_answers_operation_failed() {
        let mut c = Ctx::new();
        let mut id = 0;
        // SAFETY: a live context and a writable ID.
        let st =
            unsafe { create_surfaces(c.p(), 64, 64, va::VA_RT_FORMAT_YUV420 as c_int, 1, &mut id) };
        assert_eq!(st, status::VA_STATUS_SUCCESS);
        // SAFETY: the context's driver data is the live `Driver` made in `Ctx::new`.
        let d = unsafe { driver(c.p()) }.unwrap();
        let r = catch_unwind(AssertUnwindSafe(|| {
            let _g = d.lock().unwrap();
            panic!("poison the state");
        }));
        assert!(r.is_err());
        // SAFETY: as above.
        unsafe {
            assert_eq!(
                destroy_surfaces(c.p(), &mut id, 1),
                status::VA_STATUS_ERROR_OPERATION_FAILED
            );
            let mut num = 0;
            assert_eq!(
                query_config_profiles(c.p(), std::ptr::null_mut(), &mut num),
                status::VA_STATUS_ERROR_OPERATION_FAILED
            );
        }
    }
}
