//! The arm64 test-bed's userland: a Debian arm64 root built once by `testbed/arm64/root.sh`
//! (mmdebstrap, `extract` variant, from the Debian mirror and release this host's apt uses) with
//! the packages listed in `testbed/arm64/packages`, cached as a folder under
//! `<cache>/testbed/arm64-root-<key>/root`, where the key hashes the package list, the script, the
//! mirror and the release. The guest mounts it read-only over 9p as its root (the x86_64 guest
//! mounts the host's own root instead); the repository and the cargo target folder are shared at
//! their host paths as on x86_64.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use crate::{kernel, paths, tools, Arch};

/// The folder of the arm64 userland's recipe in the repository.
pub fn recipe_dir() -> PathBuf {
    paths::repo_root().join("testbed").join("arm64")
}

/// The Debian mirror and release the root is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    /// The mirror's URI, e.g. `http://deb.debian.org/debian`.
    pub uri: String,
    /// The release, e.g. `bookworm`.
    pub suite: String,
}

/// The mirror of the host's apt for its own release (`VERSION_CODENAME` of /etc/os-release):
/// the first `deb` source of that suite in /etc/apt/sources.list or sources.list.d (one-line
/// `.list` or deb822 `.sources`). `$VATRACE_ARM64_MIRROR` overrides the URI.
pub fn host_mirror() -> Result<Mirror> {
    let os_release = fs::read_to_string("/etc/os-release").unwrap_or_default();
    let Some(suite) = os_release
        .lines()
        .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
        .map(|s| s.trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
    else {
        bail!("/etc/os-release names no VERSION_CODENAME: the arm64 test-bed builds its root from this host's Debian release");
    };
    if let Some(uri) = std::env::var_os("VATRACE_ARM64_MIRROR").filter(|u| !u.is_empty()) {
        return Ok(Mirror {
            uri: uri.to_string_lossy().into_owned(),
            suite,
        });
    }
    let mut files = vec![PathBuf::from("/etc/apt/sources.list")];
    if let Ok(dir) = fs::read_dir("/etc/apt/sources.list.d") {
        let mut more: Vec<PathBuf> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
        more.sort();
        files.extend(more);
    }
    for f in files {
        let Ok(text) = fs::read_to_string(&f) else {
            continue;
        };
        let found = if f.extension().is_some_and(|e| e == "sources") {
            deb822_uri(&text, &suite)
        } else {
            one_line_uri(&text, &suite)
        };
        if let Some(uri) = found {
            return Ok(Mirror { uri, suite });
        }
    }
    bail!(
        "no apt source of this host serves its release {suite} (looked in /etc/apt/sources.list and \
         /etc/apt/sources.list.d): set VATRACE_ARM64_MIRROR to a Debian mirror, e.g. http://deb.debian.org/debian"
    )
}

/// The URI of the first `deb URI SUITE …` line of a one-line-style sources list.
fn one_line_uri(text: &str, suite: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let mut words = l.split_whitespace().filter(|w| !w.starts_with('['));
        (words.next()? == "deb").then_some(())?;
        let uri = words.next()?;
        (words.next()? == suite).then(|| uri.to_string())
    })
}

/// The first URI of the first deb822 stanza of type `deb` listing `suite`.
fn deb822_uri(text: &str, suite: &str) -> Option<String> {
    text.split("\n\n").find_map(|stanza| {
        let field = |name: &str| {
            stanza.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_string())
            })
        };
        let types = field("Types")?;
        let suites = field("Suites")?;
        (types.split_whitespace().any(|t| t == "deb")
            && suites.split_whitespace().any(|s| s == suite))
        .then(|| field("URIs"))?
        .and_then(|u| u.split_whitespace().next().map(String::from))
    })
}

/// What identifies one root: its recipe (package list and script) and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootKey {
    /// First 16 hex digits of the SHA-256 of the package list, the script, mirror and release.
    pub hash: String,
    /// Where the packages come from.
    pub mirror: Mirror,
}

impl RootKey {
    /// The key for the recipe in the repository and this host's mirror.
    pub fn current() -> Result<Self> {
        let read = |name: &str| {
            let p = recipe_dir().join(name);
            fs::read(&p).with_context(|| format!("reading {}", p.display()))
        };
        Ok(Self::new(
            &read("packages")?,
            &read("root.sh")?,
            host_mirror()?,
        ))
    }

    /// The key of a given recipe and mirror.
    pub fn new(packages: &[u8], script: &[u8], mirror: Mirror) -> Self {
        let mut h = Sha256::new();
        for part in [
            packages,
            script,
            mirror.uri.as_bytes(),
            mirror.suite.as_bytes(),
        ] {
            h.update(part);
            h.update([0]);
        }
        let hash = h
            .finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        Self { hash, mirror }
    }

    /// The folder holding this root (`root/`) and its build log.
    pub fn dir(&self) -> PathBuf {
        paths::cache_dir()
            .join("testbed")
            .join(format!("arm64-root-{}", self.hash))
    }

    /// The root folder the guest mounts (which may not exist yet).
    pub fn root(&self) -> PathBuf {
        self.dir().join("root")
    }
}

/// The cached arm64 root, if it has been built.
pub fn cached_root() -> Result<Option<PathBuf>> {
    let root = RootKey::current()?.root();
    Ok(root.join("usr/bin/sh").exists().then_some(root))
}

/// Builds (or finds in the cache) the arm64 root and returns its folder. Concurrent callers
/// wait for one another: only one build runs (about a minute with a nearby mirror).
pub fn build_root(force: bool, progress: &mut dyn FnMut(&str)) -> Result<PathBuf> {
    let key = RootKey::current()?;
    let root = key.root();
    if root.join("usr/bin/sh").exists() && !force {
        return Ok(root);
    }
    tools::require(Arch::Aarch64.run_tools())?;
    let top = paths::cache_dir().join("testbed");
    fs::create_dir_all(&top).with_context(|| format!("creating {}", top.display()))?;
    let lock = File::create(top.join("arm64-root.lock"))?;
    progress("waiting for the arm64 root build lock");
    lock.lock().context("locking the arm64 root build")?;
    if root.join("usr/bin/sh").exists() && !force {
        return Ok(root);
    }
    let dir = key.dir();
    fs::create_dir_all(&dir)?;
    let work = dir.join("root.tmp");
    if work.exists() {
        fs::remove_dir_all(&work).with_context(|| format!("removing {}", work.display()))?;
    }
    let log_path = dir.join("build.log");
    let log = File::create(&log_path)?;
    progress(&format!(
        "building the arm64 Debian root {} ({} from {}) with testbed/arm64/root.sh, log: {}",
        key.hash,
        key.mirror.suite,
        key.mirror.uri,
        log_path.display()
    ));
    let started = Instant::now();
    let status = Command::new(recipe_dir().join("root.sh"))
        .arg(&work)
        .arg(&key.mirror.uri)
        .arg(&key.mirror.suite)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .status()
        .context("running testbed/arm64/root.sh")?;
    if !status.success() {
        bail!(
            "building the arm64 root failed ({status}); full log: {}\n{}",
            log_path.display(),
            kernel::tail(&log_path, 25)
        );
    }
    if root.exists() {
        fs::remove_dir_all(&root)?;
    }
    fs::rename(&work, &root)?;
    progress(&format!(
        "built {} in {}s",
        root.display(),
        started.elapsed().as_secs()
    ));
    Ok(root)
}

/// Creates in the root the mount point of every share (empty folders at the shares' host
/// paths): the guest sees the root read-only and cannot make them itself, except under the tmpfs
/// `init.sh` mounts (`/tmp`, `/root`…), where it does.
pub fn make_mount_points(root: &Path, shares: &[crate::shares::Share]) -> Result<()> {
    for s in shares {
        let inside = root.join(s.path.strip_prefix("/").unwrap_or(&s.path));
        fs::create_dir_all(&inside)
            .with_context(|| format!("creating the mount point {}", inside.display()))?;
    }
    Ok(())
}

/// Places `repo`'s `testbed/init.sh` in the root as `/vatrace/init-<hash>.sh` (named by its
/// content, so trees with different scripts can boot at once) and returns its path in the guest.
pub fn install_init(root: &Path, repo: &Path) -> Result<String> {
    let init = paths::init_script_in(repo);
    let text = fs::read(&init).with_context(|| format!("reading {}", init.display()))?;
    let hash: String = Sha256::digest(&text)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let name = format!("init-{hash}.sh");
    let dest = root.join("vatrace").join(&name);
    if !dest.exists() {
        fs::create_dir_all(root.join("vatrace"))?;
        let tmp = dest.with_extension(format!("tmp-{}", std::process::id()));
        fs::write(&tmp, &text)?;
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755))?;
        fs::rename(&tmp, &dest)?;
    }
    Ok(format!("/vatrace/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mirror(uri: &str) -> Mirror {
        Mirror {
            uri: uri.into(),
            suite: "bookworm".into(),
        }
    }

    #[test]
    fn deb822_and_one_line_sources_give_the_release_mirror() {
        let deb822 = "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\n\
                      Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n";
        assert_eq!(
            deb822_uri(deb822, "bookworm").as_deref(),
            Some("http://deb.debian.org/debian")
        );
        assert_eq!(deb822_uri(deb822, "trixie"), None);
        let list = "# comment\ndeb-src http://a/debian bookworm main\n\
                    deb [arch=amd64] http://b/debian bookworm main\n";
        assert_eq!(
            one_line_uri(list, "bookworm").as_deref(),
            Some("http://b/debian")
        );
    }

    #[test]
    fn the_key_follows_the_recipe_and_the_mirror() {
        let a = RootKey::new(b"ffmpeg\n", b"script", mirror("http://a/debian"));
        assert_eq!(
            a,
            RootKey::new(b"ffmpeg\n", b"script", mirror("http://a/debian"))
        );
        assert_ne!(
            a.hash,
            RootKey::new(b"ffmpeg\nstrace\n", b"script", mirror("http://a/debian")).hash
        );
        assert_ne!(
            a.hash,
            RootKey::new(b"ffmpeg\n", b"script2", mirror("http://a/debian")).hash
        );
        assert_ne!(
            a.hash,
            RootKey::new(b"ffmpeg\n", b"script", mirror("http://b/debian")).hash
        );
        assert!(a.root().ends_with(format!("arm64-root-{}/root", a.hash)));
    }
}
