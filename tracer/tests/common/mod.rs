//! Support shared by the tracer's test binaries (each uses part of it).
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A copy of the `vatrace` binary that an unprivileged user can run wherever the repository
/// is cloned: a clone under /root (mode 0700) cannot be reached by `nobody`, so the tests that
/// drop privileges run this copy, in a fresh world-readable folder under the temp dir. Keep
/// the returned folder alive while the copy runs.
pub fn vatrace_for_nobody(vatrace: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix("vatrace-nobody")
        .tempdir_in(std::env::temp_dir())
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let exe = dir.path().join("vatrace");
    std::fs::copy(vatrace, &exe).unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    (dir, exe)
}

/// The `request-leak` client, built next to `vatrace` (it belongs to the `clients` package).
pub fn request_leak(vatrace: &str) -> PathBuf {
    testbed::paths::client_bin(Path::new(vatrace), "request-leak").unwrap()
}
