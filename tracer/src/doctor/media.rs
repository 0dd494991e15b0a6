//! The V4L2 half of `vatrace doctor`: stateless decoders found the way clients find them,
//! through each media node's graph (a `MEDIA_ENT_F_PROC_VIDEO_DECODER` entity and its video
//! node), stateless because the media node allocates requests and the node's OUTPUT queue takes
//! them, with the codecs that queue takes.

use std::{
    fs::File,
    os::fd::{AsRawFd, FromRawFd, OwnedFd},
};

use traces::{
    ioctl::{media::MEDIA_IOC_REQUEST_ALLOC, names},
    record::{DeviceInfo, DeviceKind},
};

use super::Check;
use crate::devices;

/// OUTPUT and OUTPUT_MPLANE buffer types: the queue of compressed bitstream.
const OUTPUT_TYPES: [u32; 2] = [2, 10];

/// Whether the media node at `path` allocates requests (the request API stateless decoders use).
fn allocates_requests(path: &str) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    let mut fd: i32 = -1;
    // SAFETY: MEDIA_IOC_REQUEST_ALLOC writes one int to the live `fd` we pass.
    let ret = unsafe { libc::ioctl(file.as_raw_fd(), MEDIA_IOC_REQUEST_ALLOC as _, &mut fd) };
    if ret != 0 || fd < 0 {
        return false;
    }
    // SAFETY: the kernel just gave us this request fd; OwnedFd closes it.
    drop(unsafe { OwnedFd::from_raw_fd(fd) });
    true
}

/// A stateless decoder node: its OUTPUT queue (bitstream) takes requests. Returns its line: the
/// video node, driver, media node and the codecs of that queue.
fn stateless_decoder(video: &DeviceInfo, media: &str) -> Option<String> {
    let output = video
        .formats
        .iter()
        .find(|q| OUTPUT_TYPES.contains(&q.buf_type))?;
    if !devices::queue_takes_requests(&video.path, output.buf_type) {
        return None;
    }
    let codecs: Vec<String> = output
        .formats
        .iter()
        .map(|f| names::fourcc(f.fourcc))
        .collect();
    Some(format!(
        "{} ({}, {media}): {}",
        video.path,
        video.driver,
        codecs.join(" ")
    ))
}

/// The stateless decoders of every media node.
pub fn decoders() -> Check {
    let devices = devices::scan();
    let media: Vec<&DeviceInfo> = devices
        .iter()
        .filter(|d| d.kind == DeviceKind::Media)
        .collect();
    let videos = devices
        .iter()
        .filter(|d| d.kind == DeviceKind::Video)
        .count();
    let mut found = Vec::new();
    for m in &media {
        let Some(topo) = devices::topology(&m.path) else {
            continue;
        };
        if topo.decoders().next().is_none() || !allocates_requests(&m.path) {
            continue;
        }
        for (major, minor) in topo.video_nodes() {
            let rdev = libc::makedev(major, minor);
            if let Some(v) = devices
                .iter()
                .find(|d| d.kind == DeviceKind::Video && d.rdev == Some(rdev))
            {
                found.extend(stateless_decoder(v, &m.path));
            }
        }
    }
    if found.is_empty() {
        let seen = if media.is_empty() && videos == 0 {
            "this machine has no V4L2 or media device nodes (/dev/video*, /dev/media*)".to_string()
        } else {
            format!(
                "{} media and {videos} video nodes, none a decoder that takes requests",
                media.len()
            )
        };
        Check::warn(
            "V4L2 decoders",
            format!(
                "no V4L2 stateless decoder: {seen}; vatrace record still traces a program's \
                 ioctls, but there is nothing to decode with or replay against"
            ),
            "on a board, load its decoder's driver (hantro, rkvdec, cedrus, …); without \
             hardware, `modprobe visl` (CONFIG_VIDEO_VISL), or use the test-bed (`cargo xtask demo`)",
        )
    } else {
        Check::ok(
            "V4L2 decoders",
            format!("{} stateless: {}", found.len(), found.join("; ")),
        )
    }
}
