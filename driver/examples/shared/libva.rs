//! The libva client API the example VA clients (`vaclient`, `vaprobe`) call: declarations of
//! the `libva` and `libva-drm` functions they use, over the driver crate's bindgen types.
//! Included by each example with `#[path]`.
#![allow(dead_code)]

use std::ffi::{c_char, c_int, c_uint, c_void};

use v4l2_request::va::{self, VAStatus};

#[link(name = "va")]
extern "C" {
    pub fn vaMaxNumProfiles(dpy: va::VADisplay) -> c_int;
    pub fn vaMaxNumEntrypoints(dpy: va::VADisplay) -> c_int;
    pub fn vaQueryConfigProfiles(
        dpy: va::VADisplay,
        profiles: *mut va::VAProfile,
        num: *mut c_int,
    ) -> VAStatus;
    pub fn vaQueryConfigEntrypoints(
        dpy: va::VADisplay,
        profile: va::VAProfile,
        entrypoints: *mut va::VAEntrypoint,
        num: *mut c_int,
    ) -> VAStatus;
    pub fn vaProfileStr(profile: va::VAProfile) -> *const c_char;
    pub fn vaInitialize(dpy: va::VADisplay, major: *mut c_int, minor: *mut c_int) -> VAStatus;
    pub fn vaTerminate(dpy: va::VADisplay) -> VAStatus;
    pub fn vaCreateConfig(
        dpy: va::VADisplay,
        profile: va::VAProfile,
        entrypoint: va::VAEntrypoint,
        attribs: *mut va::VAConfigAttrib,
        num: c_int,
        config: *mut va::VAConfigID,
    ) -> VAStatus;
    pub fn vaDestroyConfig(dpy: va::VADisplay, config: va::VAConfigID) -> VAStatus;
    pub fn vaCreateSurfaces(
        dpy: va::VADisplay,
        format: c_uint,
        width: c_uint,
        height: c_uint,
        surfaces: *mut va::VASurfaceID,
        num: c_uint,
        attribs: *mut va::VASurfaceAttrib,
        num_attribs: c_uint,
    ) -> VAStatus;
    pub fn vaDestroySurfaces(
        dpy: va::VADisplay,
        surfaces: *mut va::VASurfaceID,
        num: c_int,
    ) -> VAStatus;
    pub fn vaCreateContext(
        dpy: va::VADisplay,
        config: va::VAConfigID,
        width: c_int,
        height: c_int,
        flag: c_int,
        targets: *mut va::VASurfaceID,
        num: c_int,
        context: *mut va::VAContextID,
    ) -> VAStatus;
    pub fn vaDestroyContext(dpy: va::VADisplay, context: va::VAContextID) -> VAStatus;
    pub fn vaCreateBuffer(
        dpy: va::VADisplay,
        context: va::VAContextID,
        type_: va::VABufferType,
        size: c_uint,
        num: c_uint,
        data: *mut c_void,
        buf: *mut va::VABufferID,
    ) -> VAStatus;
    pub fn vaDestroyBuffer(dpy: va::VADisplay, buf: va::VABufferID) -> VAStatus;
    pub fn vaMapBuffer(dpy: va::VADisplay, buf: va::VABufferID, p: *mut *mut c_void) -> VAStatus;
    pub fn vaUnmapBuffer(dpy: va::VADisplay, buf: va::VABufferID) -> VAStatus;
    pub fn vaBeginPicture(
        dpy: va::VADisplay,
        context: va::VAContextID,
        target: va::VASurfaceID,
    ) -> VAStatus;
    pub fn vaRenderPicture(
        dpy: va::VADisplay,
        context: va::VAContextID,
        bufs: *mut va::VABufferID,
        num: c_int,
    ) -> VAStatus;
    pub fn vaEndPicture(dpy: va::VADisplay, context: va::VAContextID) -> VAStatus;
    pub fn vaSyncSurface(dpy: va::VADisplay, surface: va::VASurfaceID) -> VAStatus;
    pub fn vaDeriveImage(
        dpy: va::VADisplay,
        surface: va::VASurfaceID,
        image: *mut va::VAImage,
    ) -> VAStatus;
    pub fn vaDestroyImage(dpy: va::VADisplay, image: va::VAImageID) -> VAStatus;
    pub fn vaExportSurfaceHandle(
        dpy: va::VADisplay,
        surface: va::VASurfaceID,
        mem_type: u32,
        flags: u32,
        descriptor: *mut c_void,
    ) -> VAStatus;
}

#[link(name = "va-drm")]
extern "C" {
    pub fn vaGetDisplayDRM(fd: c_int) -> va::VADisplay;
}
