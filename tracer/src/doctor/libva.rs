//! The libva half of `vatrace doctor`: is libva installed, and would it load the project's
//! driver (`v4l2_request_drv_video.so`) given LIBVA_DRIVERS_PATH / LIBVA_DRIVER_NAME.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use super::Check;

const DRIVER_NAME: &str = "v4l2_request";
const DRIVER_FILE: &str = "v4l2_request_drv_video.so";

/// libva.so.2's path, as the dynamic linker's cache knows it.
fn libva_path() -> Option<PathBuf> {
    let out = Command::new("ldconfig").arg("-p").output().ok()?;
    String::from_utf8_lossy(&out.stdout).lines().find_map(|l| {
        let l = l.trim();
        l.starts_with("libva.so.2 ")
            .then(|| l.rsplit_once("=> ").map(|(_, p)| PathBuf::from(p.trim())))
            .flatten()
    })
}

/// Where the driver is built: `<target>/dri` next to vatrace's `<target>/<profile>/vatrace`.
fn built_driver() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let target = exe.parent()?.parent()?;
    let so = target.join("dri").join(DRIVER_FILE);
    so.exists().then_some(so)
}

/// The directories libva searches: LIBVA_DRIVERS_PATH, else its built-in one (Debian: the `dri`
/// directory beside libva.so.2).
fn search_dirs(libva: &Path) -> (Vec<PathBuf>, bool) {
    match std::env::var("LIBVA_DRIVERS_PATH") {
        Ok(p) if !p.is_empty() => (p.split(':').map(PathBuf::from).collect(), true),
        _ => (
            libva
                .parent()
                .map(|d| vec![d.join("dri")])
                .unwrap_or_default(),
            false,
        ),
    }
}

pub fn checks() -> Vec<Check> {
    let Some(libva) = libva_path() else {
        return vec![Check::warn(
            "libva",
            "libva.so.2 not found by the dynamic linker: VA-API clients (mpv, ffmpeg) cannot use the driver",
            "apt install libva2 (and vainfo to try it)",
        )];
    };
    let lib = Check::ok("libva", format!("{}", libva.display()));
    let built = built_driver();
    let export = |dir: &Path| {
        format!(
            "export LIBVA_DRIVERS_PATH={} LIBVA_DRIVER_NAME={DRIVER_NAME}",
            dir.display()
        )
    };
    let build_fix = "build it: driver/install.sh (gives target/dri/v4l2_request_drv_video.so)";
    let (dirs, from_env) = search_dirs(&libva);
    let found = dirs
        .iter()
        .map(|d| d.join(DRIVER_FILE))
        .find(|p| p.exists());
    let name = std::env::var("LIBVA_DRIVER_NAME").unwrap_or_default();
    let where_ = if from_env {
        "LIBVA_DRIVERS_PATH"
    } else {
        "libva's driver directory"
    };
    let driver = match (found, name == DRIVER_NAME) {
        (Some(so), true) => Check::ok(
            "libva driver",
            format!(
                "libva loads {} (LIBVA_DRIVER_NAME={DRIVER_NAME})",
                so.display()
            ),
        ),
        (Some(so), false) => Check::warn(
            "libva driver",
            format!(
                "{} is in {where_}, but LIBVA_DRIVER_NAME is {:?}: libva picks a driver by the \
                 DRM device's name instead",
                so.display(),
                name
            ),
            format!("export LIBVA_DRIVER_NAME={DRIVER_NAME}"),
        ),
        (None, _) => match &built {
            Some(so) => Check::warn(
                "libva driver",
                format!(
                    "{} is built but not in {where_} ({})",
                    so.display(),
                    dirs.iter()
                        .map(|d| d.display().to_string())
                        .collect::<Vec<_>>()
                        .join(":")
                ),
                export(so.parent().expect("a file has a parent")),
            ),
            None => Check::warn(
                "libva driver",
                format!("no {DRIVER_FILE} in {where_} nor next to vatrace"),
                build_fix,
            ),
        },
    };
    vec![lib, driver]
}
