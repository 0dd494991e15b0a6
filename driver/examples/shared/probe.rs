//! The mpv/libplacebo probe pattern, codec-independent (no bitstream is parsed): a config of
//! the given profile, 4 surfaces and a context at 128x128, an image derived from a surface and
//! mapped, another surface exported as DRM PRIME 2, then everything destroyed. A client that
//! decodes afterwards on the same display makes the driver reconfigure the idle 128x128
//! session (CAPTURE drained before REQBUFS(0)). Included by `vaclient` and `vaprobe` with
//! `#[path]`.

use std::ffi::c_void;

use v4l2_request::va::{self, VAStatus};

use super::libva::*;

/// The probe's surface size (mpv's `try_format_pixfmt`).
pub const SIZE: u32 = 128;

fn ok(what: &str, st: VAStatus) -> Result<(), String> {
    if st == 0 {
        Ok(())
    } else {
        Err(format!("probe {what} failed: status {st:#x}"))
    }
}

/// Runs the probe on `dpy` with `profile` (entry point VLD); returns a line describing the
/// exported surface, or the first call that failed.
///
/// # Safety
/// `dpy` is an initialised VA display.
pub unsafe fn run(dpy: va::VADisplay, profile: va::VAProfile) -> Result<String, String> {
    let mut config = 0;
    // SAFETY: libva client calls with valid out-pointers, on objects created here.
    unsafe {
        ok(
            "vaCreateConfig",
            vaCreateConfig(
                dpy,
                profile,
                va::VAEntrypointVLD,
                std::ptr::null_mut(),
                0,
                &mut config,
            ),
        )?;
        let mut s = [0u32; 4];
        ok(
            "vaCreateSurfaces",
            vaCreateSurfaces(
                dpy,
                va::VA_RT_FORMAT_YUV420,
                SIZE,
                SIZE,
                s.as_mut_ptr(),
                4,
                std::ptr::null_mut(),
                0,
            ),
        )?;
        let mut ctx = 0;
        ok(
            "vaCreateContext",
            vaCreateContext(
                dpy,
                config,
                SIZE as i32,
                SIZE as i32,
                0,
                s.as_mut_ptr(),
                4,
                &mut ctx,
            ),
        )?;
        let mut img: va::VAImage = std::mem::zeroed();
        ok("vaDeriveImage", vaDeriveImage(dpy, s[0], &mut img))?;
        let mut p: *mut c_void = std::ptr::null_mut();
        ok("vaMapBuffer", vaMapBuffer(dpy, img.buf, &mut p))?;
        ok("vaUnmapBuffer", vaUnmapBuffer(dpy, img.buf))?;
        ok("vaDestroyImage", vaDestroyImage(dpy, img.image_id))?;
        let mut desc: va::VADRMPRIMESurfaceDescriptor = std::mem::zeroed();
        ok(
            "vaExportSurfaceHandle",
            vaExportSurfaceHandle(
                dpy,
                s[1],
                va::VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2,
                va::VA_EXPORT_SURFACE_READ_ONLY | va::VA_EXPORT_SURFACE_COMPOSED_LAYERS,
                &mut desc as *mut _ as *mut c_void,
            ),
        )?;
        let line = format!(
            "exported fd {} ({} layers, pitch {})",
            desc.objects[0].fd, desc.num_layers, desc.layers[0].pitch[0]
        );
        libc::close(desc.objects[0].fd);
        ok("vaDestroyContext", vaDestroyContext(dpy, ctx))?;
        ok(
            "vaDestroySurfaces",
            vaDestroySurfaces(dpy, s.as_mut_ptr(), 4),
        )?;
        ok("vaDestroyConfig", vaDestroyConfig(dpy, config))?;
        Ok(line)
    }
}
