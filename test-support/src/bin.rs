//! Where the `ironbind` binary is: `$IRONBIND_BIN`, the one cargo built for
//! the running test, or a `cargo build` of the workspace (once per process).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("test-support/ has a parent").to_path_buf()
}

/// The `ironbind` binary: `$IRONBIND_BIN` if set; else `$CARGO_BIN_EXE_ironbind`
/// if cargo set it for the running test (cargo ≥ 1.94 does for the `server`
/// package's integration tests); otherwise `<target dir>/debug/ironbind` after
/// `cargo build --workspace --bin ironbind` (run once per test process; a no-op
/// when it is up to date). The target dir is `$CARGO_TARGET_DIR` (relative to
/// the workspace root) or `<workspace>/target`. Panics with the build output if
/// the build fails.
///
/// `--workspace` rather than `-p ironbind-server`: cargo unifies dependency
/// features over the packages selected, so `-p` would build a second variant
/// of every shared dependency after `cargo build --workspace` (what
/// `scripts/test.sh` runs first) and relink the binary on every test run.
pub fn binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        for var in ["IRONBIND_BIN", "CARGO_BIN_EXE_ironbind"] {
            if let Some(p) = std::env::var_os(var) {
                return PathBuf::from(p);
            }
        }
        workspace_binary("ironbind")
    })
}

/// The workspace's binary `name` (`ironbind-node-agent`, `ironbind-operator` …)
/// under `<target dir>/debug`, after `cargo build --workspace --bin NAME` (a
/// no-op when it is up to date; `--workspace` for the reason given at
/// [`binary`]). Panics with the build output if the build fails.
pub fn workspace_binary(name: &str) -> PathBuf {
    let root = workspace_root();
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) => root.join(t),
        None => root.join("target"),
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "--workspace", "--bin", name])
        .current_dir(&root)
        .env("CARGO_TARGET_DIR", &target)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run cargo build for the {name} binary: {e}"));
    assert!(out.status.success(), "cargo build --workspace --bin {name} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let bin = target.join("debug").join(name);
    assert!(bin.exists(), "{} missing after a successful build", bin.display());
    bin
}

/// `$IRONBIND_BIN` if set, else `built` (the path cargo gave the calling test
/// at compile time, see [`launch!`](crate::launch)), else [`binary`].
pub fn binary_or(built: Option<&str>) -> PathBuf {
    match (std::env::var_os("IRONBIND_BIN"), built) {
        (Some(p), _) => PathBuf::from(p),
        (None, Some(b)) => PathBuf::from(b),
        (None, None) => binary().to_path_buf(),
    }
}
