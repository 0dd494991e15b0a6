//! Driver probes: which libva driver file a traced command will load, and the uprobes on its
//! pool-transition functions (`traces::probe::ProbeKind`, the eBPF programs `probe_N`).
//!
//! `--driver-probes auto` (the default) looks where libva will: each directory of
//! `LIBVA_DRIVERS_PATH` (else libva's usual ones) for `${LIBVA_DRIVER_NAME}_drv_video.so`
//! (`v4l2_request` when the name is unset), the variables taken from vatrace's environment and
//! from a leading `env NAME=VALUE…` or `NAME=VALUE…` of the command; with `-p PID`, from that
//! process's environment, plus every `*_drv_video.so` it has mapped. `--driver-probes PATH`
//! names the file (as `perf probe -x` and bpftrace do); `--driver-probes off` attaches nothing.
//! uprobes sit on the file (its inode), so they fire in any process that maps it later; the
//! programs send records for traced processes only.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    str::FromStr,
};

use anyhow::{bail, Context as _, Result};
use aya::{
    programs::{uprobe::UProbeScope, UProbe},
    Ebpf,
};
use traces::probe::ProbeKind;

/// `--driver-probes`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DriverProbes {
    #[default]
    Auto,
    Off,
    Path(PathBuf),
}

impl FromStr for DriverProbes {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "auto" => DriverProbes::Auto,
            "off" | "none" => DriverProbes::Off,
            "" => return Err("empty --driver-probes: give auto, off or the driver's path".into()),
            p => DriverProbes::Path(PathBuf::from(p)),
        })
    }
}

/// The directories libva searches when `LIBVA_DRIVERS_PATH` is unset (its build's default on
/// Debian/Ubuntu, Fedora and self-built ones).
fn default_dirs() -> Vec<PathBuf> {
    let multiarch = if cfg!(target_arch = "aarch64") {
        "aarch64-linux-gnu"
    } else {
        "x86_64-linux-gnu"
    };
    [
        format!("/usr/lib/{multiarch}/dri"),
        "/usr/lib64/dri".into(),
        "/usr/lib/dri".into(),
        "/usr/local/lib/dri".into(),
    ]
    .into_iter()
    .map(PathBuf::from)
    .collect()
}

/// `NAME=VALUE` assignments leading `command` (after an optional `env` and its `-…` options).
pub fn command_env(command: &[String]) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    let mut words = command.iter().peekable();
    if words.peek().is_some_and(|w| {
        Path::new(w.as_str())
            .file_name()
            .is_some_and(|n| n == "env")
    }) {
        words.next();
        while let Some(w) = words.next_if(|w| w.starts_with('-')) {
            // The options that take their value as the next word.
            if ["-u", "-C", "-S", "--unset", "--chdir", "--split-string"].contains(&w.as_str()) {
                words.next();
            }
        }
    }
    for w in words {
        match w.split_once('=') {
            Some((k, v)) if !k.is_empty() && !k.contains('/') => {
                vars.insert(k.to_string(), v.to_string());
            }
            _ => break,
        }
    }
    vars
}

/// Where libva would find its driver with these variables (unset ones from `fallback`).
pub fn libva_candidates(
    vars: &BTreeMap<String, String>,
    fallback: impl Fn(&str) -> Option<String>,
) -> Vec<PathBuf> {
    let get = |k: &str| vars.get(k).cloned().or_else(|| fallback(k));
    let name = get("LIBVA_DRIVER_NAME")
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "v4l2_request".into());
    let dirs = match get("LIBVA_DRIVERS_PATH").filter(|p| !p.is_empty()) {
        Some(p) => p.split(':').map(PathBuf::from).collect(),
        None => default_dirs(),
    };
    dirs.into_iter()
        .map(|d| d.join(format!("{name}_drv_video.so")))
        .collect()
}

/// The environment of process `pid` (`/proc/PID/environ`).
fn process_env(pid: u32) -> BTreeMap<String, String> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    raw.split(|b| *b == 0)
        .filter_map(|kv| {
            let kv = String::from_utf8_lossy(kv);
            kv.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

/// The `*_drv_video.so` files process `pid` has mapped.
fn mapped_drivers(pid: u32) -> Vec<PathBuf> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    let mut found: Vec<PathBuf> = maps
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .filter(|p| p.ends_with("_drv_video.so"))
        .map(PathBuf::from)
        .collect();
    found.dedup();
    found
}

/// The existing driver files to probe, each once (by canonical path).
pub fn find(how: &DriverProbes, command: &[String], pid: Option<u32>) -> Result<Vec<PathBuf>> {
    let candidates = match how {
        DriverProbes::Off => return Ok(Vec::new()),
        DriverProbes::Path(p) => {
            if !p.is_file() {
                bail!(
                    "--driver-probes {}: no such file; give the libva driver's .so \
                     (e.g. target/dri/v4l2_request_drv_video.so), or `auto`, or `off`",
                    p.display()
                );
            }
            vec![p.clone()]
        }
        DriverProbes::Auto => match pid {
            Some(pid) => {
                let env = process_env(pid);
                let mut c = libva_candidates(&env, |_| None);
                c.extend(mapped_drivers(pid));
                c
            }
            None => libva_candidates(&command_env(command), |k| std::env::var(k).ok()),
        },
    };
    let mut files: Vec<PathBuf> = candidates
        .into_iter()
        .filter(|p| p.is_file())
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
}

/// Loads the uprobe programs (once) and attaches each to its function in `so`. Returns how many
/// functions were found; a file exporting none of them is an error only when `explicit`.
pub fn attach(ebpf: &mut Ebpf, so: &Path, explicit: bool) -> Result<usize> {
    let mut attached = 0;
    let mut missing = Vec::new();
    for (i, kind) in ProbeKind::ALL.iter().enumerate() {
        let prog = format!("probe_{i}");
        let p: &mut UProbe = ebpf
            .program_mut(&prog)
            .with_context(|| format!("program {prog} missing from the eBPF object"))?
            .try_into()?;
        if p.fd().is_err() {
            p.load()
                .map_err(|e| crate::loader::explain(e, &format!("verifying program {prog}")))?;
        }
        match p.attach(kind.symbol(), so, UProbeScope::AllProcesses) {
            Ok(_) => attached += 1,
            Err(e) => missing.push(format!("{}: {e}", kind.symbol())),
        }
    }
    if attached == 0 && explicit {
        bail!(
            "--driver-probes {}: none of the driver's pool-transition functions could be probed \
             ({}); is it the v4l2_request libva driver (driver/README.md, \"Symbols for uprobes\")?",
            so.display(),
            missing.join("; ")
        );
    }
    for m in &missing {
        log::info!("driver probes on {}: {m}", so.display());
    }
    Ok(attached)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn the_command_s_leading_assignments_are_its_environment() {
        let env = command_env(&words(
            "env -u X LIBVA_DRIVERS_PATH=/a:/b LIBVA_DRIVER_NAME=foo ffmpeg A=1",
        ));
        assert_eq!(env.get("LIBVA_DRIVERS_PATH").unwrap(), "/a:/b");
        assert_eq!(env.get("LIBVA_DRIVER_NAME").unwrap(), "foo");
        assert!(!env.contains_key("A"), "assignments stop at the program");
        let env = command_env(&words("LIBVA_DRIVER_NAME=bar /usr/bin/env ffmpeg"));
        assert_eq!(env.get("LIBVA_DRIVER_NAME").unwrap(), "bar");
        assert!(command_env(&words("ffmpeg -i x=y")).is_empty());
    }

    #[test]
    fn libva_s_search_gives_the_candidates() {
        let env = command_env(&words("env LIBVA_DRIVERS_PATH=/a:/b ffmpeg"));
        let c = libva_candidates(&env, |_| None);
        assert_eq!(
            c,
            vec![
                PathBuf::from("/a/v4l2_request_drv_video.so"),
                PathBuf::from("/b/v4l2_request_drv_video.so")
            ]
        );
        // Unset in the command: vatrace's own environment, else libva's default directories.
        let c = libva_candidates(&BTreeMap::new(), |k| {
            (k == "LIBVA_DRIVER_NAME").then(|| "x".to_string())
        });
        assert!(
            c.contains(&PathBuf::from("/usr/lib/dri/x_drv_video.so")),
            "{c:?}"
        );
    }

    #[test]
    fn explicit_paths_must_exist_and_off_finds_nothing() {
        let err = find(&"/nonexistent/d.so".parse().unwrap(), &[], None).unwrap_err();
        assert!(err.to_string().contains("no such file"), "{err}");
        assert!(find(
            &DriverProbes::Off,
            &words("env LIBVA_DRIVERS_PATH=/ x"),
            None
        )
        .unwrap()
        .is_empty());
        assert!("".parse::<DriverProbes>().is_err());
    }
}
