//! Where the test-bed keeps things: the repository root and the cache folder.

use std::path::PathBuf;

/// The repository's root folder (the parent of this crate's folder).
pub fn repo_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(PathBuf::from).unwrap_or(here)
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
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/root"));
    home.join(".cache").join("vatrace")
}

/// The kernel config fragment kept in the repository.
pub fn config_fragment() -> PathBuf {
    repo_root().join("testbed").join("kernel.config")
}

/// The guest's init script (PID 1), read by the guest from the host's root.
pub fn init_script() -> PathBuf {
    repo_root().join("testbed").join("init.sh")
}

/// A fresh, empty folder for a test's files, `target/testbed/work/<name>-<pid>` inside the
/// repository, so the guest sees it at the same path (the guest's `/tmp` is its own).
pub fn work_dir(name: &str) -> PathBuf {
    let dir = repo_root().join("target/testbed/work").join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

/// Per-run folders (command, stdout, stderr, exit code, console log) live here, inside the
/// repository share so the guest can write them.
pub fn runs_dir() -> PathBuf {
    repo_root().join("target").join("testbed").join("runs")
}
