//! Where the test-bed keeps things: the repository root, the cargo target folder and the cache folder.

use std::path::{Path, PathBuf};

/// The repository's root folder (the parent of this crate's folder).
pub fn repo_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(PathBuf::from).unwrap_or(here)
}

/// The cargo target folder the running program was built into: the nearest folder above the
/// executable that holds cargo's `CACHEDIR.TAG` (so `CARGO_TARGET_DIR` and `build.target-dir`
/// are both followed); else `$CARGO_TARGET_DIR`; else the repository's `target/`.
/// The test-bed shares it with the guest, so binaries built outside the repository run there too.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().ok();
    if let Some(dir) = exe.as_deref().and_then(target_dir_of) {
        return dir;
    }
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        return if dir.is_absolute() {
            dir
        } else {
            repo_root().join(dir)
        };
    }
    repo_root().join("target")
}

/// A binary of the `clients` package (`probe-ebusy`, `request-leak`: the synthetic buggy
/// clients), next to `sibling` (an executable of the same build, e.g. a test's
/// `env!("CARGO_BIN_EXE_vatrace")`); built with `cargo build -p clients` when it is not there, so
/// the tests of any package can record the clients.
pub fn client_bin(sibling: &Path, name: &str) -> std::io::Result<PathBuf> {
    let bin = sibling.with_file_name(name);
    if !bin.exists() {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = std::process::Command::new(cargo)
            .args(["build", "-p", "clients", "--bin", name])
            .current_dir(repo_root())
            .status()?;
        if !status.success() || !bin.exists() {
            return Err(std::io::Error::other(format!(
                "`cargo build -p clients --bin {name}` did not produce {}",
                bin.display()
            )));
        }
    }
    Ok(bin)
}

/// The cargo target folder holding `exe` (the nearest ancestor with a `CACHEDIR.TAG`).
pub fn target_dir_of(exe: &Path) -> Option<PathBuf> {
    exe.ancestors()
        .skip(1)
        .find(|d| d.join("CACHEDIR.TAG").is_file())
        .map(Path::to_path_buf)
}

/// The cache folder: `$VATRACE_CACHE_DIR`, else `$XDG_CACHE_HOME/vatrace`, else `~/.cache/vatrace`.
/// Built kernels live under `testbed/` in it, keyed by the hash of what they were built from.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("VATRACE_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("vatrace");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"));
    home.join(".cache").join("vatrace")
}

/// The kernel config fragment kept in the repository.
pub fn config_fragment() -> PathBuf {
    repo_root().join("testbed").join("kernel.config")
}

/// The guest's init script (PID 1), read by the guest from the host's root.
pub fn init_script() -> PathBuf {
    init_script_in(&repo_root())
}

/// The init script of the repository at `repo`.
pub fn init_script_in(repo: &Path) -> PathBuf {
    repo.join("testbed").join("init.sh")
}

/// The test-bed's scratch folder, `testbed/` in the cargo target folder: shared read-write with
/// the guest at the same path (the guest's `/tmp` is its own).
pub fn scratch_dir() -> PathBuf {
    target_dir().join("testbed")
}

/// A fresh, empty folder for a test's files, `<target>/testbed/work/<name>-<pid>`, which the
/// guest sees at the same path.
pub fn work_dir(name: &str) -> PathBuf {
    let dir = scratch_dir()
        .join("work")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

/// Per-run folders (command, stdout, stderr, exit code, console log) live here, in the scratch
/// folder the guest can write.
pub fn runs_dir() -> PathBuf {
    scratch_dir().join("runs")
}

/// Copies the libva driver `so` into folder `dri` as `v4l2_request_drv_video.so` (the name libva
/// looks for with `LIBVA_DRIVER_NAME=v4l2_request`) and returns `dri`. The copy is written under
/// a temporary name and renamed into place, so a process never sees half a file; call it once
/// per test process (its tests run on parallel threads and would share the temporary name).
pub fn install_driver(so: &Path, dri: &Path) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dri)?;
    let tmp = dri.join(format!(".drv.{}", std::process::id()));
    std::fs::copy(so, &tmp)?;
    std::fs::rename(&tmp, dri.join("v4l2_request_drv_video.so"))?;
    Ok(dri.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_folder_is_found_above_the_executable() {
        let exe = std::env::current_exe().unwrap();
        let dir = target_dir_of(&exe).expect("a test executable lives in a cargo target folder");
        assert!(exe.starts_with(&dir));
        assert!(dir.join("CACHEDIR.TAG").is_file());
        assert_eq!(target_dir(), dir);
    }

    #[test]
    fn no_target_folder_above_a_plain_file() {
        assert_eq!(target_dir_of(Path::new("/bin/sh")), None);
    }
}
