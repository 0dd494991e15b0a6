//! Flag words of the non-ioctl syscalls vatrace records (open, mmap, poll), printed the way
//! strace does (`O_RDWR|O_NONBLOCK|O_CLOEXEC`, `PROT_READ|PROT_WRITE`, `POLLIN|POLLPRI`).

use crate::ioctl::names::{flags, Table};

/// open(2) flags common to x86_64 and arm64 (arch-specific ones print as an octal remainder).
pub fn open_flags(value: u32) -> String {
    const FLAGS: &[(u32, &str)] = &[
        (0o100, "O_CREAT"),
        (0o200, "O_EXCL"),
        (0o400, "O_NOCTTY"),
        (0o1000, "O_TRUNC"),
        (0o2000, "O_APPEND"),
        (0o4000, "O_NONBLOCK"),
        (0o10000, "O_DSYNC"),
        (0o1000000, "O_NOATIME"),
        (0o2000000, "O_CLOEXEC"),
    ];
    let mut s = match value & 3 {
        0 => "O_RDONLY",
        1 => "O_WRONLY",
        2 => "O_RDWR",
        _ => "O_ACCMODE",
    }
    .to_string();
    let mut rest = value & !3;
    for &(bit, name) in FLAGS {
        if rest & bit != 0 {
            s.push('|');
            s.push_str(name);
            rest &= !bit;
        }
    }
    if rest != 0 {
        s.push_str(&format!("|{rest:#o}"));
    }
    s
}

/// mmap(2) `prot`.
pub fn prot(value: u32) -> String {
    const PROT: Table = &[(1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC")];
    if value == 0 {
        "PROT_NONE".into()
    } else {
        flags(PROT, value)
    }
}

/// mmap(2) `flags` (the common ones).
pub fn map_flags(value: u32) -> String {
    const MAP: Table = &[
        (0x01, "MAP_SHARED"),
        (0x02, "MAP_PRIVATE"),
        (0x10, "MAP_FIXED"),
        (0x20, "MAP_ANONYMOUS"),
        (0x8000, "MAP_POPULATE"),
        (0x10_0000, "MAP_FIXED_NOREPLACE"),
    ];
    flags(MAP, value)
}

/// poll(2) `events` / `revents`.
pub fn poll_events(value: u16) -> String {
    const POLL: Table = &[
        (0x001, "POLLIN"),
        (0x002, "POLLPRI"),
        (0x004, "POLLOUT"),
        (0x008, "POLLERR"),
        (0x010, "POLLHUP"),
        (0x020, "POLLNVAL"),
        (0x040, "POLLRDNORM"),
        (0x080, "POLLRDBAND"),
        (0x100, "POLLWRNORM"),
        (0x200, "POLLWRBAND"),
    ];
    flags(POLL, value.into())
}

/// Signal names (x86_64 / arm64 numbering).
pub fn signal_name(sig: i32) -> String {
    const SIGNALS: &[&str] = &[
        "",
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    usize::try_from(sig)
        .ok()
        .and_then(|i| SIGNALS.get(i))
        .filter(|s| !s.is_empty())
        .map(|s| s.to_string())
        .unwrap_or_else(|| format!("SIG{sig}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_words() {
        assert_eq!(open_flags(0o2004002), "O_RDWR|O_NONBLOCK|O_CLOEXEC");
        assert_eq!(open_flags(0o400000), "O_RDONLY|0o400000");
        assert_eq!(prot(3), "PROT_READ|PROT_WRITE");
        assert_eq!(map_flags(1), "MAP_SHARED");
        assert_eq!(poll_events(0x2), "POLLPRI");
        assert_eq!(signal_name(11), "SIGSEGV");
        assert_eq!(signal_name(64), "SIG64");
        assert_eq!(signal_name(-1), "SIG-1");
    }
}
