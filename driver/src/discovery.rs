//! Finding the decoder: the media + video device pair of a V4L2 stateless decoder, chosen by
//! capabilities (memory-to-memory, streaming, requests) and the coded formats its OUTPUT queue
//! takes, found by walking `/dev/media*` with MEDIA_IOC_G_TOPOLOGY (never by driver name or a
//! fixed node number). `V4L2_REQUEST_VIDEO_PATH` / `V4L2_REQUEST_MEDIA_PATH` override the walk.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use v4l2r::bindings as v4l2;

use crate::ioctl;

/// Coded formats the driver knows how to feed.
pub const PIX_FMT_H264_SLICE: u32 = crate::va::fourcc(b"S264");
pub const PIX_FMT_MPEG2_SLICE: u32 = crate::va::fourcc(b"MG2S");
pub const PIX_FMT_VP8_FRAME: u32 = crate::va::fourcc(b"VP8F");
pub const PIX_FMT_VP9_FRAME: u32 = crate::va::fourcc(b"VP9F");
pub const PIX_FMT_HEVC_SLICE: u32 = crate::va::fourcc(b"S265");
pub const PIX_FMT_AV1_FRAME: u32 = crate::va::fourcc(b"AV1F");
pub const PIX_FMT_NV12: u32 = crate::va::fourcc(b"NV12");

const STATELESS_FORMATS: [u32; 6] = [
    PIX_FMT_H264_SLICE,
    PIX_FMT_MPEG2_SLICE,
    PIX_FMT_VP8_FRAME,
    PIX_FMT_VP9_FRAME,
    PIX_FMT_HEVC_SLICE,
    PIX_FMT_AV1_FRAME,
];

/// A usable stateless decoder.
#[derive(Debug, Clone)]
pub struct DecoderNode {
    pub video_path: PathBuf,
    pub media_path: PathBuf,
    pub driver: String,
    /// Multi-planar API (`*_MPLANE` queue types).
    pub mplane: bool,
    /// Stateless coded formats its OUTPUT queue accepts.
    pub coded_formats: Vec<u32>,
}

impl DecoderNode {
    pub fn output_type(&self) -> u32 {
        if self.mplane {
            v4l2::v4l2_buf_type_V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE
        } else {
            v4l2::v4l2_buf_type_V4L2_BUF_TYPE_VIDEO_OUTPUT
        }
    }

    pub fn capture_type(&self) -> u32 {
        if self.mplane {
            v4l2::v4l2_buf_type_V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE
        } else {
            v4l2::v4l2_buf_type_V4L2_BUF_TYPE_VIDEO_CAPTURE
        }
    }

    pub fn supports(&self, fmt: u32) -> bool {
        self.coded_formats.contains(&fmt)
    }
}

pub fn open_rw(path: &Path, nonblock: bool) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_CLOEXEC | if nonblock { libc::O_NONBLOCK } else { 0 })
        .open(path)
}

/// Checks that `video_path` is a stateless decoder; returns what it offers.
pub fn probe_video(video_path: &Path, media_path: &Path) -> Option<DecoderNode> {
    let f = open_rw(video_path, true).ok()?;
    let cap = ioctl::querycap(&f).ok()?;
    let caps = if cap.capabilities & v4l2::V4L2_CAP_DEVICE_CAPS != 0 {
        cap.device_caps
    } else {
        cap.capabilities
    };
    if caps & v4l2::V4L2_CAP_STREAMING == 0 {
        return None;
    }
    let mplane = if caps & v4l2::V4L2_CAP_VIDEO_M2M_MPLANE != 0 {
        true
    } else if caps & v4l2::V4L2_CAP_VIDEO_M2M != 0 {
        false
    } else {
        return None;
    };
    let mut node = DecoderNode {
        video_path: video_path.to_owned(),
        media_path: media_path.to_owned(),
        driver: String::from_utf8_lossy(&cap.driver)
            .trim_end_matches('\0')
            .to_string(),
        mplane,
        coded_formats: Vec::new(),
    };
    let out = node.output_type();
    node.coded_formats = (0..64)
        .map_while(|i| ioctl::enum_fmt(&f, out, i))
        .filter(|f| STATELESS_FORMATS.contains(f))
        .collect();
    if node.coded_formats.is_empty() {
        return None;
    }
    // The OUTPUT queue must take requests.
    match ioctl::reqbufs(&f, out, 0) {
        Ok((_, c)) if c & v4l2::V4L2_BUF_CAP_SUPPORTS_REQUESTS != 0 => Some(node),
        _ => None,
    }
}

/// `/dev/<name>` of a character device, from sysfs.
fn devnode_path(major: u32, minor: u32) -> Option<PathBuf> {
    let uevent = std::fs::read_to_string(format!("/sys/dev/char/{major}:{minor}/uevent")).ok()?;
    let name = uevent.lines().find_map(|l| l.strip_prefix("DEVNAME="))?;
    Some(Path::new("/dev").join(name))
}

/// Video nodes of media device `media_path`, from its topology.
fn video_nodes_of(media_path: &Path) -> Vec<PathBuf> {
    let Ok(m) = open_rw(media_path, false) else {
        return Vec::new();
    };
    match ioctl::media_interfaces(&m) {
        Ok(intfs) => intfs
            .into_iter()
            .filter(|(t, _, _)| *t == crate::va::MEDIA_INTF_T_V4L_VIDEO)
            .filter_map(|(_, maj, min)| devnode_path(maj, min))
            .collect(),
        Err(e) => {
            log::debug!("{}: MEDIA_IOC_G_TOPOLOGY failed: {e}", media_path.display());
            Vec::new()
        }
    }
}

/// All stateless decoders of the system (or the one the environment names).
pub fn find_decoders() -> Vec<DecoderNode> {
    let env_video = std::env::var_os("V4L2_REQUEST_VIDEO_PATH").map(PathBuf::from);
    let env_media = std::env::var_os("V4L2_REQUEST_MEDIA_PATH").map(PathBuf::from);
    if let (Some(v), Some(m)) = (&env_video, &env_media) {
        return match probe_video(v, m) {
            Some(n) => vec![n],
            None => {
                log::error!(
                    "V4L2_REQUEST_VIDEO_PATH={} / V4L2_REQUEST_MEDIA_PATH={}: not a stateless decoder",
                    v.display(),
                    m.display()
                );
                Vec::new()
            }
        };
    }
    let mut medias: Vec<PathBuf> = match std::fs::read_dir("/dev") {
        Ok(d) => d
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("media"))
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    medias.sort();
    if let Some(m) = &env_media {
        medias.retain(|p| p == m);
    }
    let mut found = Vec::new();
    for media in &medias {
        for video in video_nodes_of(media) {
            if env_video.as_ref().is_some_and(|v| *v != video) {
                continue;
            }
            if let Some(n) = probe_video(&video, media) {
                log::info!(
                    "decoder {} ({}) + {}: formats {:?}",
                    n.video_path.display(),
                    n.driver,
                    n.media_path.display(),
                    n.coded_formats
                        .iter()
                        .map(|f| fourcc_str(*f))
                        .collect::<Vec<_>>()
                );
                found.push(n);
            }
        }
    }
    if found.is_empty() {
        log::error!(
            "no V4L2 stateless decoder found (looked at {} media device(s) under /dev for an m2m \
             video node with S264/MG2S/VP8F/VP9F/S265/AV1F OUTPUT formats and request support); set \
             V4L2_REQUEST_VIDEO_PATH and V4L2_REQUEST_MEDIA_PATH to choose one by hand",
            medias.len()
        );
    }
    found
}

pub fn fourcc_str(f: u32) -> String {
    f.to_le_bytes().iter().map(|&b| b as char).collect()
}
