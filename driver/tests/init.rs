//! Host test: dlopen the built driver the way libva does, call `__vaDriverInit_1_17` on a
//! calloc'ed context and vtable, and check what libva checks (max_* counts, vendor string,
//! mandatory vtable slots), then a few calls and vaTerminate. The host has no V4L2 device: the
//! driver must still initialise, with no profiles.

use std::ffi::{c_void, CStr, CString};
use std::path::PathBuf;

use v4l2_request::va;

fn driver_path() -> PathBuf {
    // Cargo builds the cdylib for integration tests next to them, in target/<profile>/deps/
    // (it only copies it up to target/<profile>/ for `cargo build`).
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().join("libv4l2_request.so")
}

type Init = unsafe extern "C" fn(va::VADriverContextP) -> va::VAStatus;

#[test]
fn init_fills_context_and_vtable() {
    let path = driver_path();
    assert!(path.exists(), "{} not built", path.display());
    let cpath = CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: loading our own driver; RTLD_NODELETE like libva.
    let handle = unsafe {
        libc::dlopen(
            cpath.as_ptr(),
            libc::RTLD_NOW | libc::RTLD_GLOBAL | libc::RTLD_NODELETE,
        )
    };
    assert!(!handle.is_null());
    for name in [
        "__vaDriverInit_1_17",
        "__vaDriverInit_1_1",
        "v4l2_request_slot_acquire",
        "v4l2_request_slot_release",
        "v4l2_request_slot_force_release",
        "v4l2_request_capture_drain",
    ] {
        let n = CString::new(name).unwrap();
        assert!(
            // SAFETY: dlsym on a live handle.
            !unsafe { libc::dlsym(handle, n.as_ptr()) }.is_null(),
            "{name} not exported"
        );
    }
    let n = CString::new("__vaDriverInit_1_17").unwrap();
    // SAFETY: the symbol has the VADriverInit signature.
    let init: Init = unsafe { std::mem::transmute(libc::dlsym(handle, n.as_ptr())) };

    // SAFETY: calloc'ed like libva's va_openDriver does.
    let ctx = unsafe { libc::calloc(1, std::mem::size_of::<va::VADriverContext>()) }
        as *mut va::VADriverContext;
    // SAFETY: as above.
    let vt = unsafe { libc::calloc(1, std::mem::size_of::<va::VADriverVTable>()) }
        as *mut va::VADriverVTable;
    // SAFETY: as above.
    let vpp = unsafe { libc::calloc(1, std::mem::size_of::<va::VADriverVTableVPP>()) }
        as *mut va::VADriverVTableVPP;
    // SAFETY: fresh allocations.
    unsafe {
        (*ctx).vtable = vt;
        (*ctx).vtable_vpp = vpp;
    }
    std::env::set_var("V4L2_REQUEST_LOG", "off");
    // SAFETY: a context set up as libva does.
    let st = unsafe { init(ctx) };
    assert_eq!(st, 0);
    // SAFETY: init succeeded; the structs are ours to read.
    let (c, v) = unsafe { (&*ctx, &*vt) };
    assert!(c.max_profiles > 0 && c.max_entrypoints > 0 && c.max_attributes > 0);
    assert!(c.max_image_formats > 0 && c.max_subpic_formats > 0 && c.max_display_attributes > 0);
    assert!(!c.str_vendor.is_null());
    // SAFETY: a NUL-terminated static string.
    assert!(unsafe { CStr::from_ptr(c.str_vendor) }
        .to_str()
        .unwrap()
        .starts_with("v4l2-request"));
    assert!(!c.pDriverData.is_null());
    let mandatory = [
        v.vaTerminate.is_some(),
        v.vaQueryConfigProfiles.is_some(),
        v.vaQueryConfigEntrypoints.is_some(),
        v.vaQueryConfigAttributes.is_some(),
        v.vaCreateConfig.is_some(),
        v.vaDestroyConfig.is_some(),
        v.vaGetConfigAttributes.is_some(),
        v.vaCreateSurfaces.is_some(),
        v.vaDestroySurfaces.is_some(),
        v.vaCreateContext.is_some(),
        v.vaDestroyContext.is_some(),
        v.vaCreateBuffer.is_some(),
        v.vaBufferSetNumElements.is_some(),
        v.vaMapBuffer.is_some(),
        v.vaUnmapBuffer.is_some(),
        v.vaDestroyBuffer.is_some(),
        v.vaBeginPicture.is_some(),
        v.vaRenderPicture.is_some(),
        v.vaEndPicture.is_some(),
        v.vaSyncSurface.is_some(),
        v.vaQuerySurfaceStatus.is_some(),
        v.vaPutSurface.is_some(),
        v.vaQueryImageFormats.is_some(),
        v.vaCreateImage.is_some(),
        v.vaDeriveImage.is_some(),
        v.vaDestroyImage.is_some(),
        v.vaSetImagePalette.is_some(),
        v.vaGetImage.is_some(),
        v.vaPutImage.is_some(),
        v.vaQuerySubpictureFormats.is_some(),
        v.vaCreateSubpicture.is_some(),
        v.vaDestroySubpicture.is_some(),
        v.vaSetSubpictureImage.is_some(),
        v.vaSetSubpictureChromakey.is_some(),
        v.vaSetSubpictureGlobalAlpha.is_some(),
        v.vaAssociateSubpicture.is_some(),
        v.vaDeassociateSubpicture.is_some(),
        v.vaQueryDisplayAttributes.is_some(),
        v.vaGetDisplayAttributes.is_some(),
        v.vaSetDisplayAttributes.is_some(),
    ];
    assert!(
        mandatory.iter().all(|&b| b),
        "a mandatory vtable slot is NULL: {mandatory:?}"
    );
    assert!(
        v.vaCreateSurfaces2.is_some()
            && v.vaExportSurfaceHandle.is_some()
            && v.vaQuerySurfaceAttributes.is_some()
    );

    // SAFETY: vtable functions called with a valid context and out-pointers.
    unsafe {
        let mut profiles = vec![0; c.max_profiles as usize];
        let mut n = -1;
        assert_eq!(
            (v.vaQueryConfigProfiles.unwrap())(ctx, profiles.as_mut_ptr(), &mut n),
            0
        );
        assert!(n >= 0 && n <= c.max_profiles);

        let mut fmts = vec![va::VAImageFormat::default(); c.max_image_formats as usize];
        let mut n = 0;
        assert_eq!(
            (v.vaQueryImageFormats.unwrap())(ctx, fmts.as_mut_ptr(), &mut n),
            0
        );
        assert_eq!((n, fmts[0].fourcc), (1, va::FOURCC_NV12));

        // Objects that need no device: surfaces and buffers.
        let mut s = [0u32; 4];
        assert_eq!(
            (v.vaCreateSurfaces2.unwrap())(
                ctx,
                va::VA_RT_FORMAT_YUV420,
                64,
                64,
                s.as_mut_ptr(),
                4,
                std::ptr::null_mut(),
                0
            ),
            0
        );
        assert_eq!((v.vaDestroySurfaces.unwrap())(ctx, s.as_mut_ptr(), 4), 0);
        // A destroyed surface is rejected.
        assert_eq!(
            (v.vaSyncSurface.unwrap())(ctx, s[0]) as u32,
            va::VA_STATUS_ERROR_INVALID_SURFACE
        );
        let mut data = [1u8; 16];
        let mut b = 0;
        assert_eq!(
            (v.vaCreateBuffer.unwrap())(
                ctx,
                0,
                va::VASliceDataBufferType,
                16,
                1,
                data.as_mut_ptr() as *mut c_void,
                &mut b
            ),
            0
        );
        let mut p: *mut c_void = std::ptr::null_mut();
        assert_eq!((v.vaMapBuffer.unwrap())(ctx, b, &mut p), 0);
        assert_eq!(std::slice::from_raw_parts(p as *const u8, 16), &data);
        assert_eq!((v.vaDestroyBuffer.unwrap())(ctx, b), 0);
        // Unknown config: an error, not a crash.
        let mut id = 0;
        assert_ne!(
            (v.vaCreateContext.unwrap())(ctx, 12345, 64, 64, 0, std::ptr::null_mut(), 0, &mut id),
            0
        );

        assert_eq!((v.vaTerminate.unwrap())(ctx), 0);
        assert!((*ctx).pDriverData.is_null());
        libc::free(vt as *mut c_void);
        libc::free(vpp as *mut c_void);
        libc::free(ctx as *mut c_void);
    }
}
