//! The test-bed's guest architectures: x86_64 (the host's own userland, the default) and arm64
//! (`qemu-system-aarch64 -M virt`, a cross-built kernel and a Debian arm64 root, see
//! [`crate::userland`]). Everything that differs between the two is here.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::{paths, tools};

/// A guest architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Arch {
    /// x86_64: `qemu-system-x86_64 -machine pc`, the host's root as the guest's.
    #[default]
    X86_64,
    /// arm64: `qemu-system-aarch64 -M virt -cpu max`, a Debian arm64 root.
    Aarch64,
}

impl Arch {
    /// Every architecture, the default first.
    pub const ALL: [Arch; 2] = [Arch::X86_64, Arch::Aarch64];

    /// The name used on the command line and in cache folders (`x86_64`, `arm64`).
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "arm64",
        }
    }

    /// The kernel's `ARCH=`.
    pub fn kernel_arch(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86",
            Arch::Aarch64 => "arm64",
        }
    }

    /// The `CROSS_COMPILE=` prefix (none for the host's own architecture).
    pub fn cross_compile(self) -> Option<&'static str> {
        match self {
            Arch::X86_64 => None,
            Arch::Aarch64 => Some("aarch64-linux-gnu-"),
        }
    }

    /// The `make` target that builds the bootable image, which is also its file name.
    pub fn image_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "bzImage",
            Arch::Aarch64 => "Image",
        }
    }

    /// Where the image lies in the kernel tree after `make`.
    pub fn image_in_tree(self) -> String {
        format!("arch/{}/boot/{}", self.kernel_arch(), self.image_name())
    }

    /// The config fragment merged after the shared `testbed/kernel.config`, if any.
    pub fn config_addendum(self) -> Option<PathBuf> {
        match self {
            Arch::X86_64 => None,
            Arch::Aarch64 => Some(
                paths::repo_root()
                    .join("testbed")
                    .join("kernel-arm64.config"),
            ),
        }
    }

    /// The QEMU system emulator.
    pub fn qemu(self) -> &'static str {
        match self {
            Arch::X86_64 => "qemu-system-x86_64",
            Arch::Aarch64 => "qemu-system-aarch64",
        }
    }

    /// QEMU's machine and CPU arguments (TCG). On arm64 `pauth-impdef` swaps the QARMA pointer
    /// authentication of `-cpu max` for QEMU's cheaper implementation-defined one.
    pub fn qemu_machine(self) -> &'static [&'static str] {
        match self {
            Arch::X86_64 => &["-accel", "tcg", "-machine", "pc", "-cpu", "max"],
            Arch::Aarch64 => &[
                "-accel",
                "tcg",
                "-machine",
                "virt",
                "-cpu",
                "max,pauth-impdef=on",
            ],
        }
    }

    /// The serial console's device in the guest.
    pub fn console(self) -> &'static str {
        match self {
            Arch::X86_64 => "ttyS0",
            Arch::Aarch64 => "ttyAMA0",
        }
    }

    /// Kernel arguments only this architecture needs. x86_64: `tsc=reliable` (under a loaded host
    /// the clocksource watchdog would demote the emulated TSC to jiffies, 4 ms steps in every
    /// timestamp) and `no_timer_check` (the IO-APIC timer check can fail under TCG on a busy host
    /// and panic the boot).
    pub fn kernel_args(self) -> &'static [&'static str] {
        match self {
            Arch::X86_64 => &["tsc=reliable", "no_timer_check"],
            Arch::Aarch64 => &[],
        }
    }

    /// Host programs and files building this architecture's kernel needs on top of
    /// [`tools::KERNEL_BUILD`].
    pub fn kernel_build_tools(self) -> &'static [tools::Requirement] {
        match self {
            Arch::X86_64 => &[],
            Arch::Aarch64 => tools::KERNEL_BUILD_ARM64,
        }
    }

    /// Host programs booting this architecture needs.
    pub fn run_tools(self) -> &'static [tools::Requirement] {
        match self {
            Arch::X86_64 => tools::RUN,
            Arch::Aarch64 => tools::RUN_ARM64,
        }
    }

    /// The Rust target triple of this architecture's binaries.
    pub fn rust_target(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-linux-gnu",
            Arch::Aarch64 => "aarch64-unknown-linux-gnu",
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An architecture name the test-bed does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown test-bed architecture {0:?}: use x86_64 (or amd64) or arm64 (or aarch64)")]
pub struct UnknownArch(String);

impl FromStr for Arch {
    type Err = UnknownArch;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "x86_64" | "amd64" | "x86-64" => Ok(Arch::X86_64),
            "arm64" | "aarch64" => Ok(Arch::Aarch64),
            other => Err(UnknownArch(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        for a in Arch::ALL {
            assert_eq!(a.name().parse::<Arch>().unwrap(), a);
        }
        assert_eq!("aarch64".parse::<Arch>().unwrap(), Arch::Aarch64);
        let err = "riscv64".parse::<Arch>().unwrap_err().to_string();
        assert!(err.contains("riscv64") && err.contains("arm64"), "{err}");
    }

    #[test]
    fn images_lie_where_make_puts_them() {
        assert_eq!(Arch::X86_64.image_in_tree(), "arch/x86/boot/bzImage");
        assert_eq!(Arch::Aarch64.image_in_tree(), "arch/arm64/boot/Image");
    }
}
