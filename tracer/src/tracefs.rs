//! Finding (or mounting) tracefs and reading tracepoint record layouts from its `format` files:
//! field offsets move between kernels, so the programs get them at load time.

use std::{
    fs,
    path::{Path, PathBuf},
};

use anyhow::{bail, Context as _, Result};

const CANDIDATES: [&str; 2] = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

/// Where tracefs is mounted (with its events/ directory), if anywhere; errors if it is there
/// but not readable.
pub fn mounted() -> Result<Option<PathBuf>> {
    for c in CANDIDATES {
        let events = Path::new(c).join("events");
        match fs::metadata(&events) {
            Ok(m) if m.is_dir() => return Ok(Some(PathBuf::from(c))),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                bail!("tracefs at {c} is not readable ({e}): run vatrace as root")
            }
            _ => {}
        }
    }
    Ok(None)
}

/// The tracefs mount point, mounting it at /sys/kernel/tracing if nothing is mounted.
pub fn locate() -> Result<PathBuf> {
    if let Some(path) = mounted()? {
        return Ok(path);
    }
    let target = CANDIDATES[0];
    match nix::mount::mount(
        Some("tracefs"),
        target,
        Some("tracefs"),
        nix::mount::MsFlags::empty(),
        None::<&str>,
    ) {
        Ok(()) if Path::new(target).join("events").is_dir() => Ok(PathBuf::from(target)),
        Ok(()) => bail!("mounted tracefs at {target} but it has no events/ directory"),
        // Another process (a second vatrace started at the same moment, as parallel tests do
        // on a machine where nothing has mounted tracefs yet) mounted it between our look and
        // our mount: the kernel refuses the same filesystem twice on one mount point (EBUSY).
        Err(nix::errno::Errno::EBUSY) if Path::new(target).join("events").is_dir() => {
            Ok(PathBuf::from(target))
        }
        Err(e) => bail!(
            "tracefs is not mounted and mounting it failed ({e}); mount it with \
             `mount -t tracefs tracefs /sys/kernel/tracing` (kernel option CONFIG_FTRACE)"
        ),
    }
}

/// Offset of `field` in the record of tracepoint `category/name`, or None if it has no such
/// field. Errors if the tracepoint itself is missing.
pub fn field_offset(
    tracefs: &Path,
    category: &str,
    name: &str,
    field: &str,
) -> Result<Option<u64>> {
    let path = tracefs
        .join("events")
        .join(category)
        .join(name)
        .join("format");
    let text = fs::read_to_string(&path).with_context(|| {
        format!(
            "tracepoint {category}/{name} is missing ({} unreadable): the kernel lacks it",
            path.display()
        )
    })?;
    Ok(parse_offset(&text, field))
}

/// Finds `field:<type> <field>;\toffset:N;` in a tracefs format description.
fn parse_offset(format: &str, field: &str) -> Option<u64> {
    format.lines().find_map(|line| {
        let line = line.trim();
        let decl = line.strip_prefix("field:")?;
        let (decl, rest) = decl.split_once(';')?;
        let fname = decl
            .rsplit(|c: char| c.is_whitespace() || c == '*')
            .next()?;
        let fname = fname.split('[').next()?;
        if fname != field {
            return None;
        }
        let off = rest.trim().strip_prefix("offset:")?;
        off.split(';').next()?.trim().parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::parse_offset;

    const FORK: &str = "name: sched_process_fork\nformat:\n\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\tfield:__data_loc char[] parent_comm;\toffset:8;\tsize:4;\tsigned:0;\n\tfield:pid_t parent_pid;\toffset:12;\tsize:4;\tsigned:1;\n\tfield:char child_comm[16];\toffset:16;\tsize:16;\tsigned:0;\n\tfield:pid_t child_pid;\toffset:32;\tsize:4;\tsigned:1;\n";

    #[test]
    fn finds_offsets() {
        assert_eq!(parse_offset(FORK, "child_pid"), Some(32));
        assert_eq!(parse_offset(FORK, "parent_comm"), Some(8));
        assert_eq!(parse_offset(FORK, "child_comm"), Some(16));
        assert_eq!(parse_offset(FORK, "group_dead"), None);
    }
}
