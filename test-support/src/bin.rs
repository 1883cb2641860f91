//! Where the `ironbind` binary is: `$IRONBIND_BIN`, the one cargo built for
//! the running test, or a `cargo build` of the workspace (once per process);
//! and the same for the workspace's other binaries ([`workspace_bin`]), for
//! tests whose package does not build them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

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
        build("ironbind")
    })
}

/// The workspace binary `name` (`ironbind`, `ironbind-operator`,
/// `ironbind-node-agent`): `$<NAME>_BIN` when set (the name without its
/// `ironbind-` prefix, upper case, `-` as `_`: `OPERATOR_BIN`,
/// `NODE_AGENT_BIN`, `IRONBIND_BIN`, as `deploy/local/cluster.sh` reads them),
/// else `<target dir>/debug/<name>` after `cargo build --workspace --bin
/// <name>` (once per name and process, as [`binary`] does).
pub fn workspace_bin(name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let var = format!("{}_BIN", name.strip_prefix("ironbind-").unwrap_or(name).to_uppercase().replace('-', "_"));
    if let Some(p) = std::env::var_os(&var) {
        return PathBuf::from(p);
    }
    let mut built = BUILT.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
    built.entry(name.to_string()).or_insert_with(|| build(name)).clone()
}

/// `cargo build --workspace --bin <name>` into the target dir; the binary.
fn build(name: &str) -> PathBuf {
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
