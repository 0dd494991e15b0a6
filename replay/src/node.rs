//! Which device nodes a replay may open. A trace is someone else's input and replay runs as
//! root, so a path from a trace (or a `--device-map` target) is checked before anything is
//! opened: it is resolved by the kernel (symlinks followed, `..` walked) through an `O_PATH`
//! handle, which calls no driver; the file it names must be a character device whose sysfs
//! subsystem (`/sys/dev/char/MAJ:MIN/subsystem`) is `video4linux` or `media`. Only then is the
//! very file the handle names opened read-write (through `/proc/self/fd`), so a path that
//! changes between the check and the open cannot swap in another node.

use std::fmt;
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The subsystems whose nodes replay opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subsystem {
    /// `/sys/class/video4linux`: video nodes (and V4L2 sub-devices).
    Video4Linux,
    /// `/sys/bus/media`: media controller nodes.
    Media,
}

impl Subsystem {
    /// The sysfs name.
    pub fn name(self) -> &'static str {
        match self {
            Subsystem::Video4Linux => "video4linux",
            Subsystem::Media => "media",
        }
    }
}

/// A checked node, not opened yet: the `O_PATH` handle of what the path resolved to.
#[derive(Debug)]
pub struct Node {
    /// The path as given (the trace's, or the `--device-map` target).
    pub path: String,
    /// What it resolved to.
    pub resolved: PathBuf,
    /// Device number, major and minor.
    pub major: u32,
    pub minor: u32,
    pub subsystem: Subsystem,
    handle: File,
}

/// Why a path is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub path: String,
    pub reason: String,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

impl std::error::Error for Refused {}

/// The sysfs subsystem of character device `major:minor` under `sys` (normally `/sys`).
pub fn char_subsystem(sys: &Path, major: u32, minor: u32) -> Result<String, String> {
    let link = sys.join(format!("dev/char/{major}:{minor}/subsystem"));
    let target = std::fs::read_link(&link)
        .map_err(|e| format!("cannot read {} ({e}; is sysfs mounted?)", link.display()))?;
    target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| format!("{} points to {}", link.display(), target.display()))
}

/// Resolves and checks `path` without opening the device: refused unless it is a character
/// device of the video4linux or media subsystem.
pub fn check(path: &str) -> Result<Node, Refused> {
    let refuse = |reason: String| Refused {
        path: path.to_string(),
        reason,
    };
    if !path.starts_with('/') {
        return Err(refuse("not an absolute path".into()));
    }
    // O_PATH: the kernel walks the path (symlinks, `..`) and hands back a handle to the file
    // it names without calling the driver's open.
    let handle = File::options()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| refuse(format!("cannot be resolved ({e})")))?;
    let resolved = std::fs::read_link(format!("/proc/self/fd/{}", handle.as_raw_fd()))
        .unwrap_or_else(|_| PathBuf::from(path));
    let shown = if resolved == Path::new(path) {
        String::new()
    } else {
        format!("resolves to {}, ", resolved.display())
    };
    let meta = handle
        .metadata()
        .map_err(|e| refuse(format!("{shown}cannot be examined ({e})")))?;
    let ft = meta.file_type();
    if !ft.is_char_device() {
        let what = if ft.is_dir() {
            "a directory"
        } else if ft.is_file() {
            "a regular file"
        } else if ft.is_block_device() {
            "a block device"
        } else {
            "not a device"
        };
        return Err(refuse(format!(
            "{shown}{what}, not a character device (V4L2 and media nodes are character devices)"
        )));
    }
    let (major, minor) = (libc::major(meta.rdev()), libc::minor(meta.rdev()));
    let sub = char_subsystem(Path::new("/sys"), major, minor)
        .map_err(|e| refuse(format!("{shown}character device {major}:{minor}: {e}")))?;
    let subsystem = match sub.as_str() {
        "video4linux" => Subsystem::Video4Linux,
        "media" => Subsystem::Media,
        other => {
            return Err(refuse(format!(
                "{shown}character device {major}:{minor} of subsystem {other:?}, not a video4linux or media node"
            )))
        }
    };
    Ok(Node {
        path: path.to_string(),
        resolved,
        major,
        minor,
        subsystem,
        handle,
    })
}

impl Node {
    /// Opens the checked file read-write, non-blocking, close-on-exec: the file the handle names,
    /// whatever its path names by now.
    pub fn open(&self) -> Result<OwnedFd, crate::sys::Errno> {
        let f = File::options()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(format!("/proc/self/fd/{}", self.handle.as_raw_fd()))
            .map_err(|e| crate::sys::Errno(e.raw_os_error().unwrap_or(libc::EIO)))?;
        Ok(f.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_files_and_other_subsystems_are_refused() {
        let r = check("/dev/null").unwrap_err();
        assert!(
            r.reason.contains("1:3") && r.reason.contains("\"mem\""),
            "{r}"
        );
        let r = check("/etc/hostname").unwrap_err();
        assert!(r.reason.contains("regular file"), "{r}");
        let r = check("/dev/pts/../zero").unwrap_err();
        assert!(
            r.reason.contains("resolves to /dev/zero") && r.reason.contains("\"mem\""),
            "{r}"
        );
        let r = check("/dev/no-such-node").unwrap_err();
        assert!(r.reason.contains("cannot be resolved"), "{r}");
        let r = check("/dev").unwrap_err();
        assert!(r.reason.contains("directory"), "{r}");
        let r = check("null").unwrap_err();
        assert!(r.reason.contains("absolute"), "{r}");
    }
}
