//! The host folders the guest sees read-write at their own paths (virtio-9p shares): the
//! repository, the cargo target folder, and any a caller adds.
//!
//! The guest's root is the host's, read-only, with its own tmpfs over `/tmp`, `/root`, `/run`
//! and `/var/tmp`; `testbed/init.sh` mounts each share at its host path after those tmpfs,
//! creating the mount point inside them when needed (a clone under `/root` or `/tmp`). The paths
//! travel on the kernel command line (`vatrace.mount=TAG:PATH`), which splits at spaces, and in
//! QEMU's `-fsdev` option, where a comma ends the value: [`plan`] refuses the first and escapes
//! the second.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// One folder shared with the guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    /// The 9p mount tag (`vatrace0`, `vatrace1`, …).
    pub tag: String,
    /// The folder, at the same path on both sides.
    pub path: PathBuf,
}

/// What a folder is for, to name it in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The repository the command runs in.
    Repository,
    /// The cargo target folder (binaries, test files, run folders).
    TargetDir,
    /// A folder the caller asked to share.
    Extra,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Repository => "the repository",
            Role::TargetDir => "the cargo target folder",
            Role::Extra => "the shared folder",
        }
    }

    fn fix(self) -> &'static str {
        match self {
            Role::Repository => {
                "clone the repository at a path without spaces (e.g. `git clone URL ~/vatrace`)"
            }
            Role::TargetDir => "set CARGO_TARGET_DIR to a folder whose path has no spaces",
            Role::Extra => "share a folder whose path has no spaces",
        }
    }
}

/// A folder the test-bed cannot share, with the reason and the fix.
#[derive(Debug, thiserror::Error)]
#[error("the test-bed cannot share {} {}: {why}; {}", .role.name(), .path.display(), .role.fix())]
pub struct BadPath {
    /// What the folder was for.
    pub role: Role,
    /// The folder.
    pub path: PathBuf,
    /// What is wrong with it.
    pub why: String,
}

/// Checks that `path` can be shared: absolute, an existing folder, and free of what the kernel
/// command line cannot carry (spaces and other whitespace, control characters, double quotes,
/// bytes that are not UTF-8).
pub fn check(role: Role, path: &Path) -> Result<(), BadPath> {
    let bad = |why: &str| BadPath {
        role,
        path: path.to_path_buf(),
        why: why.to_string(),
    };
    let Some(s) = path.to_str() else {
        return Err(bad(
            "its path is not valid UTF-8, which the guest's kernel command line cannot carry",
        ));
    };
    if !path.is_absolute() {
        return Err(bad("its path is not absolute"));
    }
    if s.contains(char::is_whitespace) {
        return Err(bad(
            "its path contains a space (or other whitespace), and the guest learns its folders from the \
             kernel command line, which splits at spaces",
        ));
    }
    if s.contains(|c: char| c.is_control() || c == '"') {
        return Err(bad("its path contains a control character or a double quote, which the kernel command line cannot carry"));
    }
    if !path.is_dir() {
        return Err(bad("it is not an existing folder"));
    }
    Ok(())
}

/// The shares for `folders` (in order of preference): each one checked, those inside an earlier
/// or later one dropped (the outer share already shows them read-write), duplicates merged.
pub fn plan(folders: &[(Role, PathBuf)]) -> Result<Vec<Share>, BadPath> {
    for (role, path) in folders {
        check(*role, path)?;
    }
    let paths: Vec<&PathBuf> = folders.iter().map(|(_, p)| p).collect();
    let mut kept: Vec<&PathBuf> = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        let inside_other = paths
            .iter()
            .enumerate()
            .any(|(j, q)| j != i && p.starts_with(q) && (p != q || j < i));
        if !inside_other {
            kept.push(p);
        }
    }
    Ok(kept
        .into_iter()
        .enumerate()
        .map(|(i, p)| Share {
            tag: format!("vatrace{i}"),
            path: p.clone(),
        })
        .collect())
}

/// QEMU arguments exporting each share read-write (`-fsdev … -device virtio-9p-pci …`).
pub fn qemu_args(shares: &[Share]) -> Vec<OsString> {
    let mut args = Vec::new();
    for (i, s) in shares.iter().enumerate() {
        // A comma ends an option's value in QEMU; a doubled one stands for itself.
        let path = s.path.display().to_string().replace(',', ",,");
        args.push("-fsdev".into());
        args.push(
            format!("local,id=share{i},path={path},security_model=none,multidevs=remap").into(),
        );
        args.push("-device".into());
        args.push(format!("virtio-9p-pci,fsdev=share{i},mount_tag={}", s.tag).into());
    }
    args
}

/// Kernel command-line arguments telling `testbed/init.sh` where to mount each share.
pub fn kernel_args(shares: &[Share]) -> Vec<String> {
    shares
        .iter()
        .map(|s| format!("vatrace.mount={}:{}", s.tag, s.path.display()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("vatrace-shares-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_path_with_a_space_is_refused_naming_the_fix() {
        let d = dir("with space");
        let err = plan(&[(Role::Repository, d.clone())])
            .unwrap_err()
            .to_string();
        let _ = std::fs::remove_dir_all(&d);
        assert!(err.contains("contains a space"), "{err}");
        assert!(err.contains(&d.display().to_string()), "{err}");
        assert!(
            err.contains("clone the repository at a path without spaces"),
            "{err}"
        );
        let t = dir("tab\there");
        let err = plan(&[(Role::TargetDir, t.clone())])
            .unwrap_err()
            .to_string();
        let _ = std::fs::remove_dir_all(&t);
        assert!(err.contains("CARGO_TARGET_DIR"), "{err}");
    }

    #[test]
    fn missing_and_relative_folders_are_refused() {
        let err = plan(&[(Role::Extra, PathBuf::from("/nonexistent/vatrace-share"))])
            .unwrap_err()
            .to_string();
        assert!(err.contains("not an existing folder"), "{err}");
        let err = plan(&[(Role::Extra, PathBuf::from("relative/dir"))])
            .unwrap_err()
            .to_string();
        assert!(err.contains("not absolute"), "{err}");
    }

    #[test]
    fn nested_and_repeated_folders_become_one_share() {
        let repo = dir("repo");
        let inner = repo.join("target");
        std::fs::create_dir_all(&inner).unwrap();
        let other = dir("other");
        let shares = plan(&[
            (Role::Repository, repo.clone()),
            (Role::TargetDir, inner),
            (Role::Extra, other.clone()),
            (Role::Extra, repo.clone()),
        ])
        .unwrap();
        let _ = std::fs::remove_dir_all(&repo);
        let _ = std::fs::remove_dir_all(&other);
        let paths: Vec<&Path> = shares.iter().map(|s| s.path.as_path()).collect();
        assert_eq!(paths, [repo.as_path(), other.as_path()]);
        assert_eq!(shares[0].tag, "vatrace0");
        assert_eq!(shares[1].tag, "vatrace1");
    }

    #[test]
    fn commas_are_escaped_for_qemu_and_kept_for_the_kernel() {
        let d = dir("a,b");
        let shares = plan(&[(Role::Extra, d.clone())]).unwrap();
        let _ = std::fs::remove_dir_all(&d);
        let q: Vec<String> = qemu_args(&shares)
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(
            q[1].contains(&format!(
                "path={},security_model",
                d.display().to_string().replace(',', ",,")
            )),
            "{q:?}"
        );
        assert_eq!(q[3], "virtio-9p-pci,fsdev=share0,mount_tag=vatrace0");
        assert_eq!(
            kernel_args(&shares),
            [format!("vatrace.mount=vatrace0:{}", d.display())]
        );
    }
}
