//! Linux errno names and messages (the asm-generic numbers, shared by x86_64 and arm64), so a
//! failed call prints as `= -1 EBUSY (Device or resource busy)`.

/// The errnos the models and rules test for by number (their table rows below use these).
pub const ENOENT: i32 = 2;
pub const EBADF: i32 = 9;
pub const EAGAIN: i32 = 11;
pub const EBUSY: i32 = 16;
pub const ENOTTY: i32 = 25;

/// `(errno, name, message)`.
const ERRNOS: &[(i32, &str, &str)] = &[
    (1, "EPERM", "Operation not permitted"),
    (ENOENT, "ENOENT", "No such file or directory"),
    (3, "ESRCH", "No such process"),
    (4, "EINTR", "Interrupted system call"),
    (5, "EIO", "Input/output error"),
    (6, "ENXIO", "No such device or address"),
    (7, "E2BIG", "Argument list too long"),
    (8, "ENOEXEC", "Exec format error"),
    (EBADF, "EBADF", "Bad file descriptor"),
    (10, "ECHILD", "No child processes"),
    (EAGAIN, "EAGAIN", "Resource temporarily unavailable"),
    (12, "ENOMEM", "Cannot allocate memory"),
    (13, "EACCES", "Permission denied"),
    (14, "EFAULT", "Bad address"),
    (15, "ENOTBLK", "Block device required"),
    (EBUSY, "EBUSY", "Device or resource busy"),
    (17, "EEXIST", "File exists"),
    (18, "EXDEV", "Invalid cross-device link"),
    (19, "ENODEV", "No such device"),
    (20, "ENOTDIR", "Not a directory"),
    (21, "EISDIR", "Is a directory"),
    (22, "EINVAL", "Invalid argument"),
    (23, "ENFILE", "Too many open files in system"),
    (24, "EMFILE", "Too many open files"),
    (ENOTTY, "ENOTTY", "Inappropriate ioctl for device"),
    (26, "ETXTBSY", "Text file busy"),
    (27, "EFBIG", "File too large"),
    (28, "ENOSPC", "No space left on device"),
    (29, "ESPIPE", "Illegal seek"),
    (30, "EROFS", "Read-only file system"),
    (31, "EMLINK", "Too many links"),
    (32, "EPIPE", "Broken pipe"),
    (33, "EDOM", "Numerical argument out of domain"),
    (34, "ERANGE", "Numerical result out of range"),
    (35, "EDEADLK", "Resource deadlock avoided"),
    (36, "ENAMETOOLONG", "File name too long"),
    (37, "ENOLCK", "No locks available"),
    (38, "ENOSYS", "Function not implemented"),
    (39, "ENOTEMPTY", "Directory not empty"),
    (40, "ELOOP", "Too many levels of symbolic links"),
    (42, "ENOMSG", "No message of desired type"),
    (61, "ENODATA", "No data available"),
    (62, "ETIME", "Timer expired"),
    (67, "ENOLINK", "Link has been severed"),
    (71, "EPROTO", "Protocol error"),
    (74, "EBADMSG", "Bad message"),
    (75, "EOVERFLOW", "Value too large for defined data type"),
    (77, "EBADFD", "File descriptor in bad state"),
    (
        84,
        "EILSEQ",
        "Invalid or incomplete multibyte or wide character",
    ),
    (95, "EOPNOTSUPP", "Operation not supported"),
    (105, "ENOBUFS", "No buffer space available"),
    (110, "ETIMEDOUT", "Connection timed out"),
    (125, "ECANCELED", "Operation canceled"),
    (512, "ERESTARTSYS", "To be restarted"),
    (513, "ERESTARTNOINTR", "To be restarted"),
    (514, "ERESTARTNOHAND", "To be restarted if no handler"),
    (515, "ENOIOCTLCMD", "No ioctl command"),
    (516, "ERESTART_RESTARTBLOCK", "Interrupted by a signal"),
    (524, "ENOTSUPP", "Operation is not supported"),
];

/// The symbolic name of `errno` (`EBUSY`), if known.
pub fn errno_name(errno: i32) -> Option<&'static str> {
    ERRNOS.iter().find(|e| e.0 == errno).map(|e| e.1)
}

/// The message for `errno` (`Device or resource busy`), if known.
pub fn errno_message(errno: i32) -> Option<&'static str> {
    ERRNOS.iter().find(|e| e.0 == errno).map(|e| e.2)
}

/// The errno of a symbolic name.
pub fn errno_by_name(name: &str) -> Option<i32> {
    ERRNOS.iter().find(|e| e.1 == name).map(|e| e.0)
}

/// `EBUSY (Device or resource busy)`, or `errno 999` for unknown numbers.
pub fn describe(errno: i32) -> String {
    match ERRNOS.iter().find(|e| e.0 == errno) {
        Some((_, name, msg)) => format!("{name} ({msg})"),
        None => format!("errno {errno}"),
    }
}

/// A raw syscall return as strace prints it: `0`, `5`, or `-1 EBUSY (Device or resource busy)`.
pub fn format_ret(ret: i64) -> String {
    match crate::record::errno_of(ret) {
        Some(e) => format!("-1 {}", describe(e)),
        None => ret.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(errno_name(16), Some("EBUSY"));
        assert_eq!(errno_by_name("EINVAL"), Some(22));
        assert_eq!(format_ret(-16), "-1 EBUSY (Device or resource busy)");
        assert_eq!(format_ret(-4000), "-1 errno 4000");
        assert_eq!(format_ret(7), "7");
        assert!(ERRNOS.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
