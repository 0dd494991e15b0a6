//! `vaprobe`: an `LD_PRELOAD` library that runs mpv/libplacebo's probe pattern inside another
//! VA client, on the client's own display, before the client decodes: what mpv does when its
//! GPU interop probes the formats that work (every decode profile the display lists, small
//! surfaces, an image derived and mapped, a surface exported, all destroyed) and then decodes
//! through the same display. The test-bed runs it under ffmpeg for the codecs `vaclient` cannot
//! parse; the decode then has to reconfigure the driver's idle 128x128 session.
//!
//! It interposes `vaInitialize` (the real one first, then the probe of each profile with a VLD
//! entry point, or only those named in `VAPROBE_PROFILES`, comma-separated `vaProfileStr` names)
//! and `vaTerminate` (after the real one, the open fds on video, media and request nodes and
//! dma-bufs are counted: the driver must leave none). It reports on stderr, lines starting with
//! `vaprobe:`; a failed probe call is reported and the client carries on.
//!
//! Usage: `LD_PRELOAD=target/debug/examples/libvaprobe.so ffmpeg -hwaccel vaapi …`.

use std::ffi::{c_int, c_void, CStr};

use v4l2_request::va::{self, VAStatus};

#[path = "shared/libva.rs"]
mod libva;
#[path = "shared/probe.rs"]
mod probe;

type InitFn = unsafe extern "C" fn(va::VADisplay, *mut c_int, *mut c_int) -> VAStatus;
type TermFn = unsafe extern "C" fn(va::VADisplay) -> VAStatus;

/// The next definition of `name` after this library (libva's).
fn next(name: &CStr) -> *mut c_void {
    // SAFETY: dlsym with RTLD_NEXT and a NUL-terminated name.
    let p = unsafe { libc::dlsym(libc::RTLD_NEXT, name.as_ptr()) };
    if p.is_null() {
        eprintln!("vaprobe: {name:?} not found after the preload (is libva loaded?)");
        std::process::abort();
    }
    p
}

/// Open fds of this process on V4L2 video and media nodes, media requests and dma-bufs.
fn device_fds() -> String {
    let (mut video, mut media, mut request, mut dmabuf) = (0, 0, 0, 0);
    for e in std::fs::read_dir("/proc/self/fd")
        .into_iter()
        .flatten()
        .flatten()
    {
        let Ok(target) = std::fs::read_link(e.path()) else {
            continue;
        };
        let t = target.to_string_lossy();
        if t.starts_with("/dev/video") {
            video += 1;
        } else if t.starts_with("/dev/media") {
            media += 1;
        } else if t.starts_with("anon_inode:") && t.contains("request") {
            request += 1;
        } else if t.starts_with("/dmabuf:") || t.starts_with("anon_inode:dmabuf") {
            dmabuf += 1;
        }
    }
    format!("video {video} media {media} request {request} dmabuf {dmabuf}")
}

/// `vaProfileStr`'s name of `p`.
fn profile_name(p: va::VAProfile) -> String {
    // SAFETY: vaProfileStr returns a static NUL-terminated string for every value.
    unsafe { CStr::from_ptr(libva::vaProfileStr(p)) }
        .to_string_lossy()
        .into_owned()
}

/// The profiles to probe: those of `dpy` with a VLD entry point, filtered by
/// `VAPROBE_PROFILES` when set.
///
/// # Safety
/// `dpy` is an initialised VA display.
unsafe fn profiles(dpy: va::VADisplay) -> Vec<va::VAProfile> {
    let wanted: Option<Vec<String>> = std::env::var("VAPROBE_PROFILES")
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect());
    // SAFETY: libva queries into buffers of the sizes libva says it needs.
    unsafe {
        let mut list = vec![0; libva::vaMaxNumProfiles(dpy).max(0) as usize];
        let mut n = 0;
        if libva::vaQueryConfigProfiles(dpy, list.as_mut_ptr(), &mut n) != 0 {
            eprintln!("vaprobe: vaQueryConfigProfiles failed");
            return Vec::new();
        }
        list.truncate(n.max(0) as usize);
        let mut eps = vec![0; libva::vaMaxNumEntrypoints(dpy).max(0) as usize];
        list.into_iter()
            .filter(|&p| p != va::VAProfileNone)
            .filter(|&p| {
                let mut m = 0;
                libva::vaQueryConfigEntrypoints(dpy, p, eps.as_mut_ptr(), &mut m) == 0
                    && eps[..m.max(0) as usize].contains(&va::VAEntrypointVLD)
            })
            .filter(|&p| wanted.as_ref().is_none_or(|w| w.contains(&profile_name(p))))
            .collect()
    }
}

/// libva's `vaInitialize`, then the probe of each profile.
///
/// # Safety
/// As libva's `vaInitialize`.
#[no_mangle]
pub unsafe extern "C" fn vaInitialize(
    dpy: va::VADisplay,
    major: *mut c_int,
    minor: *mut c_int,
) -> VAStatus {
    eprintln!("vaprobe: before vaInitialize: {}", device_fds());
    // SAFETY: `next` found libva's vaInitialize, whose type this is.
    let real: InitFn = unsafe { std::mem::transmute(next(c"vaInitialize")) };
    // SAFETY: the client's arguments, passed on.
    let st = unsafe { real(dpy, major, minor) };
    if st != 0 {
        return st;
    }
    // SAFETY: `dpy` is initialised now.
    for p in unsafe { profiles(dpy) } {
        // SAFETY: as above.
        match unsafe { probe::run(dpy, p) } {
            Ok(line) => eprintln!(
                "vaprobe: {} {s}x{s} probe done: {line}",
                profile_name(p),
                s = probe::SIZE
            ),
            Err(e) => eprintln!("vaprobe: {}: {e}", profile_name(p)),
        }
    }
    st
}

/// libva's `vaTerminate`, then the census of device fds left open.
///
/// # Safety
/// As libva's `vaTerminate`.
#[no_mangle]
pub unsafe extern "C" fn vaTerminate(dpy: va::VADisplay) -> VAStatus {
    // SAFETY: `next` found libva's vaTerminate, whose type this is.
    let real: TermFn = unsafe { std::mem::transmute(next(c"vaTerminate")) };
    // SAFETY: the client's argument, passed on.
    let st = unsafe { real(dpy) };
    eprintln!("vaprobe: after vaTerminate: {}", device_fds());
    st
}
