//! The test-bed runs from any clone path: a repository under `/tmp` or under `$HOME` (`/root` for
//! root), both hidden in the guest by its own tmpfs, with the cargo target folder outside the
//! repository (this test's own target folder is, for the repositories made here) and one more
//! shared folder holding a program; a repository whose path has a space is refused before booting.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use testbed::{run, RunOptions};

/// A folder removed when dropped, so a failing test leaves no clone behind.
struct TempTree(PathBuf);

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh folder `vatrace-clone-<tag>-<pid>` under `base`.
fn temp_tree(base: &Path, tag: &str) -> TempTree {
    let dir = base.join(format!("vatrace-clone-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempTree(dir)
}

/// What a clone needs for the runner: the guest's init script (the guest runs host binaries).
fn make_repo(dir: &Path) {
    std::fs::create_dir_all(dir.join("testbed")).unwrap();
    std::fs::copy(testbed::paths::init_script(), dir.join("testbed/init.sh")).unwrap();
}

/// A program in a shared folder outside the repository: writes a file into the folder it is
/// given and says where it ran.
fn make_program(dir: &Path) -> PathBuf {
    let bin = dir.join("bin/hello");
    std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
    std::fs::write(&bin, "#!/bin/sh\necho \"hello from $0 in $(pwd)\"\necho written-in-the-guest > \"$1/from-guest\"\n").unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"))
}

/// Runs the program of `share` in the repository `repo`; checks the repository is the working
/// directory and writable, the shared program runs, and the test's own executable (in the cargo
/// target folder, outside `repo`) is visible.
fn runs_in(repo: &Path, share: &Path) {
    make_repo(repo);
    let program = make_program(share);
    let exe = std::env::current_exe().unwrap();
    let script = format!(
        "{program} \"$PWD\" && test -x {exe} && echo target-folder-visible",
        program = program.display(),
        exe = exe.display()
    );
    let opts = RunOptions {
        timeout: Duration::from_secs(300),
        repo: Some(repo.to_path_buf()),
        shares: vec![share.to_path_buf()],
        ..Default::default()
    };
    let out = run(&["/bin/sh", "-c", &script], &opts).unwrap();
    assert_eq!(out.exit_code(), Some(0), "{}", out.explain());
    let text = out.stdout_str();
    assert!(
        text.contains(&format!(
            "hello from {} in {}",
            program.display(),
            repo.display()
        )),
        "{text}"
    );
    assert!(text.contains("target-folder-visible"), "{text}");
    let written = std::fs::read_to_string(repo.join("from-guest"))
        .expect("the guest's file in the repository");
    assert_eq!(written, "written-in-the-guest\n");
}

#[test]
fn a_repository_under_tmp_with_a_shared_folder_under_home() {
    let repo = temp_tree(&std::env::temp_dir(), "repo");
    let share = temp_tree(&home(), "share");
    runs_in(&repo.0, &share.0);
}

#[test]
fn a_repository_under_home_with_a_shared_folder_under_tmp() {
    let repo = temp_tree(&home(), "repo");
    let share = temp_tree(&std::env::temp_dir(), "share");
    runs_in(&repo.0, &share.0);
}

#[test]
fn a_repository_path_with_a_space_is_refused_before_booting() {
    let base = temp_tree(&std::env::temp_dir(), "space");
    let repo = base.0.join("my clone");
    make_repo(&repo);
    let opts = RunOptions {
        repo: Some(repo.clone()),
        build_if_missing: false,
        ..Default::default()
    };
    let err = run(&["/bin/true"], &opts).unwrap_err().to_string();
    assert!(
        err.contains(&format!("cannot share the repository {}", repo.display())),
        "{err}"
    );
    assert!(err.contains("contains a space"), "{err}");
    assert!(
        err.contains("clone the repository at a path without spaces"),
        "{err}"
    );
}
