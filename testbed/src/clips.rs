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
    /// VP9 in IVF (libvpx-vp9; GStreamer reads it with `ivfparse ! vp9parse`).
    Vp9,
    /// HEVC Annex-B elementary stream (libx265).
    Hevc,
    /// AV1 in IVF (libaom-av1; GStreamer reads it with `ivfparse ! av1parse`).
    Av1,
}

impl Codec {
    fn extension(self) -> &'static str {
        match self {
            Codec::H264 => "h264",
            Codec::Mpeg2 => "m2v",
            Codec::Vp8 | Codec::Vp9 | Codec::Av1 => "ivf",
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
            // Two passes: libvpx-vp9 places hidden alt-ref frames (superframes) only then.
            Codec::Vp9 => vec![
                "-auto-alt-ref",
                "1",
                "-lag-in-frames",
                "16",
                "-b:v",
                "300k",
                "-pass",
                "2",
            ],
            Codec::Hevc => vec!["-bf", "2"],
            // The fastest preset (libaom is slow); hidden alt-ref frames shown later with
            // show_existing_frame come by default.
            Codec::Av1 => vec!["-cpu-used", "8", "-b:v", "300k"],
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
            Codec::Vp9 => "libvpx-vp9",
            Codec::Hevc => "libx265",
            Codec::Av1 => "libaom-av1",
        };
        let format = match self.codec {
            Codec::H264 => "h264",
            Codec::Mpeg2 => "mpeg2video",
            Codec::Vp8 | Codec::Vp9 | Codec::Av1 => "ivf",
            Codec::Hevc => "hevc",
        };
        let encode = |args: &[String], format: &str, output: &std::path::Path| -> Result<()> {
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
                .args(args)
                .args(["-f", format])
                .arg(output)
                .output()
                .context("running ffmpeg (package ffmpeg; run `cargo xtask setup`)")?;
            if !out.status.success() {
                bail!(
                    "ffmpeg failed to generate {}: {}",
                    path.display(),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            Ok(())
        };
        // `-pass 2` in the arguments: a first pass (into a log next to the clip) runs first
        // (libvpx-vp9 places hidden alt-ref frames only with two passes).
        let second_pass = self.encoder_args.windows(2).any(|w| w == ["-pass", "2"]);
        if second_pass {
            let log = tmp.with_extension("passlog");
            let log_args = ["-passlogfile".to_string(), log.display().to_string()];
            let mut first = self.encoder_args.clone();
            if let Some(i) = first.windows(2).position(|w| w == ["-pass", "2"]) {
                first[i + 1] = "1".to_string();
            }
            first.extend(log_args.iter().cloned());
            let second: Vec<String> = self.encoder_args.iter().cloned().chain(log_args).collect();
            let r = encode(&first, "null", std::path::Path::new("-"))
                .and_then(|()| encode(&second, format, &tmp));
            // libvpx names the log `<passlogfile>-0.log`.
            let _ = std::fs::remove_file(format!("{}-0.log", log.display()));
            r?;
        } else {
            encode(&self.encoder_args, format, &tmp)?;
        }
        // rename(2) replaces atomically: a clip generated meanwhile by someone else is the same clip.
        std::fs::rename(&tmp, &path)
            .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
        Ok(path)
    }
}

/// The frames of an IVF file (the container of [`Codec::Vp8`] clips: a file header whose
/// bytes 6..8 give its length, then per frame a 12-byte header, its size in the first 4 bytes
/// little-endian, and the frame): what tests compare a decoder's OUTPUT buffers with.
pub fn ivf_frames(ivf: &[u8]) -> Result<Vec<&[u8]>> {
    if ivf.len() < 32 || &ivf[..4] != b"DKIF" {
        bail!("not an IVF file (no DKIF header)");
    }
    let mut frames = Vec::new();
    let mut p = usize::from(u16::from_le_bytes([ivf[6], ivf[7]]));
    while p < ivf.len() {
        let Some(h) = ivf.get(p..p + 12) else {
            bail!("IVF frame header cut at byte {p}");
        };
        let size = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
        let Some(f) = ivf.get(p + 12..p + 12 + size) else {
            bail!("IVF frame of {size} bytes cut at byte {p}");
        };
        frames.push(f);
        p += 12 + size;
    }
    Ok(frames)
}

/// One IVF stream of the frames of `files` in order (e.g. clips of different sizes: a stream whose
/// size changes on key frames): the first file's header with the total frame count, the frames'
/// timestamps renumbered 0, 1, 2... so that demuxers see them rising.
pub fn ivf_concat(files: &[&[u8]]) -> Result<Vec<u8>> {
    let Some(first) = files.first() else {
        bail!("no IVF file to join");
    };
    ivf_frames(first)?;
    let header_len = usize::from(u16::from_le_bytes([first[6], first[7]]));
    let mut out = first[..header_len].to_vec();
    let mut pts = 0u64;
    for f in files {
        for frame in ivf_frames(f)? {
            out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            out.extend_from_slice(&pts.to_le_bytes());
            out.extend_from_slice(frame);
            pts += 1;
        }
    }
    out[24..28].copy_from_slice(&(pts as u32).to_le_bytes());
    Ok(out)
}
