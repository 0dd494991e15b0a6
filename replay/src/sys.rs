//! The system-call boundary: opening device nodes, raw `ioctl(2)`, `mmap(2)` of buffers and
//! `poll(2)`. Every `unsafe` block of the crate lives here, each with its `// SAFETY:` argument;
//! everything above this module works on safe types ([`Errno`], [`Mapping`], `OwnedFd`).

use std::ffi::CString;
use std::fmt;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::path::Path;

/// An `errno` value returned by a failed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

impl Errno {
    /// The errno of the last failed libc call on this thread.
    pub fn last() -> Self {
        Errno(
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO),
        )
    }

    /// The symbolic name (`EBUSY`, `EINVAL`, …), or `E<number>` for unnamed values.
    pub fn name(self) -> String {
        errno_name(self.0)
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({})",
            self.name(),
            std::io::Error::from_raw_os_error(self.0)
        )
    }
}

impl std::error::Error for Errno {}

/// `EBUSY` for errno 16 (the name `vatrace dump` prints: traces' errno table), `E<n>` for
/// unnamed numbers.
pub fn errno_name(errno: i32) -> String {
    traces::dump::errno_name(errno)
        .map(str::to_string)
        .unwrap_or_else(|| format!("E{errno}"))
}

/// The errno named `name` (`EBUSY`, any case; `ENOTSUP` is `EOPNOTSUPP` on Linux), or given as
/// a number (`16`), for reports and `--inject` specs.
pub fn errno_by_name(name: &str) -> Option<i32> {
    let upper = name.to_ascii_uppercase();
    let upper = if upper == "ENOTSUP" {
        "EOPNOTSUPP".to_string()
    } else {
        upper
    };
    traces::dump::errno_by_name(&upper)
        .or_else(|| name.parse().ok().filter(|n| (1..4096).contains(n)))
}

/// Opens a device node read-write, non-blocking, close-on-exec.
pub fn open_device(path: &Path) -> Result<OwnedFd, Errno> {
    let c = CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| Errno(libc::EINVAL))?;
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call; open has no other
    // memory effects.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_RDWR | libc::O_NONBLOCK | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: `fd` was just returned by open and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Takes ownership of an fd the kernel returned through an ioctl argument (REQUEST_ALLOC, EXPBUF).
///
/// # Safety
/// `fd` must be an open descriptor that no other owner will close.
pub unsafe fn own_fd(fd: RawFd) -> OwnedFd {
    // SAFETY: guaranteed by the caller.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// `ioctl(fd, request, arg)` on a typed argument struct. Returns the non-negative result.
///
/// # Safety
/// `T` must be the argument type the kernel expects for `request` (its size at least the size
/// encoded in `request`), and every pointer stored inside `*arg` must be null or point to live
/// memory of the size the kernel will access through it, for the duration of the call.
pub unsafe fn ioctl_typed<T>(fd: RawFd, request: u32, arg: &mut T) -> Result<i32, Errno> {
    // SAFETY: `arg` is a valid exclusive reference for the call; the pointer contract is the
    // caller's (see above).
    let r = unsafe { libc::ioctl(fd, request as libc::c_ulong, arg as *mut T) };
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r)
    }
}

/// `ioctl(fd, request, buf.as_mut_ptr())` with the argument struct held as raw bytes.
///
/// # Safety
/// `buf` must hold at least the argument size encoded in `request` (checked here: a shorter
/// buffer gives `EINVAL` without a call), and every pointer inside it must be null or point to
/// live memory the kernel may read or write for the duration of the call.
pub unsafe fn ioctl_bytes(fd: RawFd, request: u32, buf: &mut [u8]) -> Result<i32, Errno> {
    let size = ((request >> 16) & 0x3fff) as usize;
    if buf.len() < size {
        return Err(Errno(libc::EINVAL));
    }
    // An `_IO` ioctl takes no pointer; pass a null argument as C callers do.
    let ptr = if size == 0 {
        std::ptr::null_mut()
    } else {
        buf.as_mut_ptr()
    };
    // SAFETY: `ptr` is null or points to `buf.len() >= size` writable bytes; nested pointers are
    // the caller's contract.
    let r = unsafe { libc::ioctl(fd, request as libc::c_ulong, ptr) };
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r)
    }
}

/// `ioctl(fd, request, value)` for the `_IO` ioctls that take no argument
/// (MEDIA_REQUEST_IOC_QUEUE/REINIT).
pub fn ioctl_none(fd: RawFd, request: u32) -> Result<i32, Errno> {
    if (request >> 16) & 0x3fff != 0 {
        return Err(Errno(libc::EINVAL));
    }
    // SAFETY: the request encodes a zero-size argument, so the kernel dereferences no pointer.
    let r = unsafe { libc::ioctl(fd, request as libc::c_ulong, 0usize) };
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r)
    }
}

/// Types for which the all-zero bit pattern is a valid value and which hold no references:
/// the plain C structs of the uapi headers (bindgen output) and integers.
///
/// # Safety
/// Implement only for `#[repr(C)]` plain-old-data types whose every field accepts all-zero bytes.
pub unsafe trait Zeroable: Sized {}

// SAFETY: the bindgen structs below are repr(C) integers, arrays, unions and raw pointers:
// all-zero is valid for each of them.
unsafe impl Zeroable for v4l2r::bindings::v4l2_capability {}
// SAFETY: as above.
unsafe impl Zeroable for v4l2r::bindings::v4l2_format {}
// SAFETY: as above.
unsafe impl Zeroable for v4l2r::bindings::v4l2_requestbuffers {}
// SAFETY: as above.
unsafe impl Zeroable for v4l2r::bindings::v4l2_buffer {}
// SAFETY: as above.
unsafe impl Zeroable for v4l2r::bindings::v4l2_plane {}
// SAFETY: as above.
unsafe impl Zeroable for v4l2r::bindings::v4l2_ext_controls {}
// SAFETY: as above.
unsafe impl Zeroable for v4l2r::bindings::v4l2_ext_control {}
// SAFETY: integers.
unsafe impl Zeroable for i32 {}
// SAFETY: integers.
unsafe impl Zeroable for u8 {}

/// A heap array of C structs that starts all-zero (padding included) and is only ever written
/// field by field or by the kernel, so its raw bytes are always initialised.
pub struct Pod<T: Zeroable> {
    items: Box<[T]>,
}

impl<T: Zeroable> Pod<T> {
    /// `n` zeroed elements.
    pub fn zeroed(n: usize) -> Self {
        let b = Box::<[T]>::new_zeroed_slice(n.max(1));
        Pod {
            // SAFETY: `T: Zeroable`, so all-zero bytes are a valid `T`.
            items: unsafe { b.assume_init() },
        }
    }

    /// The raw bytes of all elements, padding included.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: the allocation was zero-filled as a whole and is only written through field
        // stores and by the kernel, so every byte (padding too) is initialised; the length is
        // the allocation's size.
        unsafe {
            std::slice::from_raw_parts(
                self.items.as_ptr() as *const u8,
                std::mem::size_of_val(&*self.items),
            )
        }
    }

    /// Address of the first element, to store in another struct's pointer field.
    pub fn as_mut_ptr(&mut self) -> *mut T {
        self.items.as_mut_ptr()
    }
}

impl<T: Zeroable> std::ops::Deref for Pod<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.items
    }
}

impl<T: Zeroable> std::ops::DerefMut for Pod<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.items
    }
}

/// `ioctl(fd, request, &pod[0])`.
///
/// # Safety
/// As [`ioctl_typed`]: `T` is `request`'s argument type and every pointer inside is live.
pub unsafe fn ioctl_pod<T: Zeroable>(
    fd: RawFd,
    request: u32,
    arg: &mut Pod<T>,
) -> Result<i32, Errno> {
    // SAFETY: forwarded contract; `arg[0]` exists (`Pod` has at least one element).
    unsafe { ioctl_typed(fd, request, &mut arg[0]) }
}

/// A shared mapping of a buffer plane, unmapped on drop.
#[derive(Debug)]
pub struct Mapping {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the mapping is plain memory owned by this value; moving it between threads is sound.
unsafe impl Send for Mapping {}

impl Mapping {
    /// `mmap(NULL, len, PROT_READ|PROT_WRITE, MAP_SHARED, fd, offset)`.
    pub fn map(fd: RawFd, len: usize, offset: u64) -> Result<Self, Errno> {
        Self::map_prot(fd, len, offset, libc::PROT_READ | libc::PROT_WRITE)
    }

    /// `mmap` with the given protection (`PROT_READ` for CAPTURE-only mappings).
    pub fn map_prot(fd: RawFd, len: usize, offset: u64, prot: i32) -> Result<Self, Errno> {
        if len == 0 {
            return Err(Errno(libc::EINVAL));
        }
        // SAFETY: a fresh mapping chosen by the kernel (addr NULL) cannot alias Rust memory.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                prot,
                libc::MAP_SHARED,
                fd,
                offset as libc::off_t,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(Errno::last());
        }
        Ok(Mapping {
            ptr: p as *mut u8,
            len,
        })
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the mapping is empty (never: `map` refuses length 0).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Address of the mapping.
    pub fn addr(&self) -> usize {
        self.ptr as usize
    }

    /// The mapped bytes.
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: `ptr..ptr+len` is a live mapping owned by `self`; the device may write to it
        // (CAPTURE), which is why readers checksum a copy-free snapshot and accept its content.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// The mapped bytes, writable (mappings made with `PROT_WRITE` only).
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`, and `&mut self` makes the borrow exclusive on our side.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` came from a successful mmap and are unmapped exactly once.
        unsafe {
            libc::munmap(self.ptr as *mut libc::c_void, self.len);
        }
    }
}

/// `poll(2)` on one fd; returns `revents` (0 on timeout). `timeout_ms < 0` waits forever.
pub fn poll_one(fd: RawFd, events: i16, timeout_ms: i32) -> Result<i16, Errno> {
    let mut p = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    loop {
        // SAFETY: `p` is one valid pollfd for the duration of the call.
        let r = unsafe { libc::poll(&mut p, 1, timeout_ms) };
        if r < 0 {
            let e = Errno::last();
            if e.0 == libc::EINTR {
                continue;
            }
            return Err(e);
        }
        return Ok(if r == 0 { 0 } else { p.revents });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_names_round_trip() {
        assert_eq!(errno_name(libc::EBUSY), "EBUSY");
        assert_eq!(errno_by_name("ebusy"), Some(libc::EBUSY));
        assert_eq!(errno_by_name("22"), Some(22));
        assert_eq!(errno_by_name("EWHAT"), None);
        assert_eq!(errno_name(4000), "E4000");
        assert_eq!(errno_by_name("ENOTSUP"), Some(libc::EOPNOTSUPP));
        for e in [
            libc::EPERM,
            libc::EAGAIN,
            libc::ENOTTY,
            libc::ETIME,
            libc::ECANCELED,
        ] {
            assert_eq!(errno_by_name(&errno_name(e)), Some(e), "{e}");
        }
    }

    #[test]
    fn short_argument_is_refused_without_a_call() {
        let mut b = [0u8; 4];
        // SAFETY: the size check refuses the call before any pointer is used.
        let r = unsafe { ioctl_bytes(-1, 0xc0585609, &mut b) };
        assert_eq!(r, Err(Errno(libc::EINVAL)));
    }
}
