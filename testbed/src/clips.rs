//! Test clips generated with the host's ffmpeg (testsrc2 pattern), cached under
//! `<target>/testbed/clips/` (the test-bed's scratch folder) so the guest reads them at the same path.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::paths;

/// A codec ffmpeg can encode test clips with, in a container GStreamer's parsers read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// H.264 Annex-B elementary stream (libx264).
    H264,
    /// MPEG-2 video elementary stream (mpeg2video).
    Mpeg2,
    /// VP8 in IVF (libvpx).
    Vp8,
    /// HEVC Annex-B elementary stream (libx265).
    Hevc,
}

impl Codec {
    fn extension(self) -> &'static str {
        match self {
            Codec::H264 => "h264",
            Codec::Mpeg2 => "m2v",
            Codec::Vp8 => "ivf",
            Codec::Hevc => "h265",
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clip {
    /// The codec.
    pub codec: Codec,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Number of frames.
    pub frames: u32,
    /// Extra ffmpeg encoder arguments (e.g. `["-bf", "2"]`, `["-x264-params", "slices=2"]`).
    pub encoder_args: Vec<String>,
}

impl Clip {
    /// A small clip: 320x240, 30 frames, B-frames where the codec has them.
    pub fn small(codec: Codec) -> Self {
        let encoder_args = match codec {
            Codec::H264 => vec!["-profile:v", "high", "-bf", "2"],
            Codec::Mpeg2 => vec!["-bf", "2"],
            Codec::Vp8 => vec![],
            Codec::Hevc => vec!["-bf", "2"],
        };
        Self {
            codec,
            width: 320,
            height: 240,
            frames: 30,
            encoder_args: encoder_args.into_iter().map(String::from).collect(),
        }
    }

    /// Bytes of NV12 output for the whole clip.
    pub fn nv12_bytes(&self) -> u64 {
        u64::from(self.frames) * u64::from(self.width) * u64::from(self.height) * 3 / 2
    }

    /// Generates the clip (once; later calls reuse the file) and returns its path.
    pub fn generate(&self) -> Result<PathBuf> {
        let dir = paths::scratch_dir().join("clips");
        std::fs::create_dir_all(&dir)?;
        let tag: String = self
            .encoder_args
            .join("_")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let name = format!(
            "{:?}-{}x{}-{}f-{tag}.{}",
            self.codec,
            self.width,
            self.height,
            self.frames,
            self.codec.extension()
        )
        .to_lowercase();
        let path = dir.join(name);
        if path.exists() {
            return Ok(path);
        }
        // Unique per process and call: tests in one binary generate the same clip from several threads.
        static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = path.with_extension(format!(
            "{}.tmp-{}-{call}",
            self.codec.extension(),
            std::process::id()
        ));
        let codec = match self.codec {
            Codec::H264 => "libx264",
            Codec::Mpeg2 => "mpeg2video",
            Codec::Vp8 => "libvpx",
            Codec::Hevc => "libx265",
        };
        let format = match self.codec {
            Codec::H264 => "h264",
            Codec::Mpeg2 => "mpeg2video",
            Codec::Vp8 => "ivf",
            Codec::Hevc => "hevc",
        };
        let out = Command::new("ffmpeg")
            .args(["-loglevel", "error", "-y", "-f", "lavfi", "-i"])
            .arg(format!(
                "testsrc2=size={}x{}:rate=30",
                self.width, self.height
            ))
            .args([
                "-frames:v",
                &self.frames.to_string(),
                "-pix_fmt",
                "yuv420p",
                "-c:v",
                codec,
            ])
            .args(&self.encoder_args)
            .args(["-f", format])
            .arg(&tmp)
            .output()
            .context("running ffmpeg (package ffmpeg; run `cargo xtask setup`)")?;
        if !out.status.success() {
            bail!(
                "ffmpeg failed to generate {}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // rename(2) replaces atomically: a clip generated meanwhile by someone else is the same clip.
        std::fs::rename(&tmp, &path)
            .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
        Ok(path)
    }
}
