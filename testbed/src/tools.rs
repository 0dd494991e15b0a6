//! Checks for the host programs and files the test-bed needs, naming the Debian package that
//! provides each missing one and the command that installs everything.

use std::path::Path;

/// A host program or file the test-bed needs, and the Debian package that provides it.
#[derive(Debug, Clone, Copy)]
pub struct Requirement {
    /// A program looked up on PATH, or an absolute path to a file.
    pub what: &'static str,
    /// The Debian package that provides it.
    pub package: &'static str,
}

/// What building the kernel needs (Documentation/process/changes.rst, plus pahole for BTF).
pub const KERNEL_BUILD: &[Requirement] = &[
    Requirement {
        what: "make",
        package: "make",
    },
    Requirement {
        what: "gcc",
        package: "gcc",
    },
    Requirement {
        what: "bc",
        package: "bc",
    },
    Requirement {
        what: "flex",
        package: "flex",
    },
    Requirement {
        what: "bison",
        package: "bison",
    },
    Requirement {
        what: "pahole",
        package: "dwarves",
    },
    Requirement {
        what: "cpio",
        package: "cpio",
    },
    Requirement {
        what: "xz",
        package: "xz-utils",
    },
    Requirement {
        what: "rsync",
        package: "rsync",
    },
    Requirement {
        what: "/usr/include/libelf.h",
        package: "libelf-dev",
    },
    Requirement {
        what: "/usr/include/openssl/ssl.h",
        package: "libssl-dev",
    },
    Requirement {
        what: "/usr/src/linux-source-6.12.tar.xz",
        package: "linux-source-6.12",
    },
];

/// What booting the test-bed needs.
pub const RUN: &[Requirement] = &[Requirement {
    what: "qemu-system-x86_64",
    package: "qemu-system-x86",
}];

/// What cross-building the arm64 kernel needs on top of [`KERNEL_BUILD`].
pub const KERNEL_BUILD_ARM64: &[Requirement] = &[Requirement {
    what: "aarch64-linux-gnu-gcc",
    package: "gcc-aarch64-linux-gnu",
}];

/// What building the arm64 userland ([`crate::userland`]) and booting the arm64 test-bed need.
pub const RUN_ARM64: &[Requirement] = &[
    Requirement {
        what: "qemu-system-aarch64",
        package: "qemu-system-arm",
    },
    Requirement {
        what: "mmdebstrap",
        package: "mmdebstrap",
    },
    Requirement {
        what: "/usr/share/debootstrap/functions",
        package: "debootstrap",
    },
    Requirement {
        what: "qemu-aarch64-static",
        package: "qemu-user-static",
    },
];

/// Errors when something is missing.
#[derive(Debug, thiserror::Error)]
#[error(
    "missing on this machine: {}; install with `apt-get install {}` or run `cargo xtask setup`",
    .missing.iter().map(|r| format!("{} (package {})", r.what, r.package)).collect::<Vec<_>>().join(", "),
    .missing.iter().map(|r| r.package).collect::<Vec<_>>().join(" ")
)]
pub struct Missing {
    /// The requirements that were not met.
    pub missing: Vec<Requirement>,
}

/// Whether `program` is an executable file on PATH (or an existing absolute path).
pub fn have(what: &str) -> bool {
    if what.starts_with('/') {
        return Path::new(what).exists();
    }
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| {
        let candidate = dir.join(what);
        candidate
            .metadata()
            .map(|m| {
                use std::os::unix::fs::PermissionsExt;
                m.is_file() && m.permissions().mode() & 0o111 != 0
            })
            .unwrap_or(false)
    })
}

/// Checks every requirement and lists all the missing ones at once.
pub fn require(reqs: &[Requirement]) -> Result<(), Missing> {
    let missing: Vec<Requirement> = reqs.iter().copied().filter(|r| !have(r.what)).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Missing { missing })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_program_names_its_package() {
        let reqs = [
            Requirement {
                what: "sh",
                package: "dash",
            },
            Requirement {
                what: "vatrace-no-such-program",
                package: "no-such-package",
            },
        ];
        let err = require(&reqs).unwrap_err();
        assert_eq!(err.missing.len(), 1);
        let msg = err.to_string();
        assert!(
            msg.contains("vatrace-no-such-program (package no-such-package)"),
            "{msg}"
        );
        assert!(msg.contains("apt-get install no-such-package"), "{msg}");
    }

    #[test]
    fn present_program_passes() {
        assert!(have("sh"));
        assert!(require(&[Requirement {
            what: "sh",
            package: "dash"
        }])
        .is_ok());
    }
}
