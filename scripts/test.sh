#!/usr/bin/env bash
# The test command: on a fresh Debian machine, install what the tests need,
# build the workspace and run every test. Works from a clean clone.
#
#   scripts/test.sh              # everything
#   scripts/test.sh -p ironbind-tests --test scenarios  # args replace --workspace
#
# Environment: USE_NEXTEST=1 runs the tests with cargo-nextest when it is
# installed; SKIP_APT=1 never touches apt; SKIP_KUBE=1 does not build the local
# Kubernetes cluster (deploy/local/); SKIP_FUZZ=1 leaves out the fuzz
# smoke run (scripts/fuzz.sh, FUZZ_SECONDS per target, 8 here) that follows
# the tests of a full run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Debian packages the tests use: dig for the black-box tests, BIND9 (named) and
# Knot (knotd, knotc) as transfer peers in server/tests/xfr_*.rs.
APT_PACKAGES=(
  dnsutils
  bind9-dnsutils
  bind9
  knot
  knot-dnsutils
)

log() { printf '==> %s\n' "$*" >&2; }

missing_packages() {
  local p
  for p in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      printf '%s\n' "$p"
    fi
  done
}

install_packages() {
  if [[ "${SKIP_APT:-}" == 1 ]]; then
    log "SKIP_APT=1: not installing ${APT_PACKAGES[*]}"
    return
  fi
  if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
    log "not a Debian system: install the equivalents of ${APT_PACKAGES[*]} yourself"
    return
  fi
  local missing
  missing=$(missing_packages)
  if [[ -z "$missing" ]]; then
    log "apt packages present: ${APT_PACKAGES[*]}"
    return
  fi
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null; then
      sudo=(sudo)
    else
      log "not root and no sudo: cannot install $(echo "$missing" | tr '\n' ' ')"
      return 1
    fi
  fi
  log "installing: $(echo "$missing" | tr '\n' ' ')"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  # shellcheck disable=SC2086
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

if ! command -v cargo >/dev/null; then
  log "cargo not found: install a Rust toolchain (rust-version in Cargo.toml) first"
  exit 1
fi

install_packages
command -v dig >/dev/null || { log "dig still missing after install"; exit 1; }

# The local Kubernetes cluster's parts (etcd, kube-apiserver, kube-controller-manager
# 1.20 built from Debian sources: about 7 minutes once, cached in ~/.cache/k8s-1.20),
# for the cluster tests; they fail rather than skip under CI=true. SKIP_KUBE=1 leaves
# the build out (the cluster tests then skip, unless CI=true).
if [[ "${SKIP_KUBE:-}" != 1 && "${SKIP_APT:-}" != 1 ]]; then
  log "deploy/local/install-kube.sh"
  if [[ $(id -u) -eq 0 ]]; then
    deploy/local/install-kube.sh
  elif command -v sudo >/dev/null; then
    sudo -E HOME="$HOME" deploy/local/install-kube.sh
  else
    log "not root and no sudo: the local cluster cannot be built; its tests skip (fail under CI=true)"
  fi
fi

# House habits, checked before anything runs: the format of rustfmt.toml and
# clippy with every warning an error, over every target (tests, benches).
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  command -v rustup >/dev/null || { log "cargo fmt / cargo clippy missing and no rustup to add them"; exit 1; }
  log "rustup component add rustfmt clippy"
  rustup component add rustfmt clippy
fi
log "cargo fmt --check"
cargo fmt --all -- --check
(cd fuzz && cargo fmt -- --check)
log "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

log "cargo build --workspace"
cargo build --workspace

args=("$@")
[[ ${#args[@]} -eq 0 ]] && args=(--workspace --no-fail-fast)
if [[ "${USE_NEXTEST:-}" == 1 ]] && cargo nextest --version >/dev/null 2>&1; then
  log "cargo nextest run ${args[*]}"
  cargo nextest run "${args[@]}"
  cargo test --doc --workspace
else
  log "cargo test ${args[*]}"
  cargo test "${args[@]}"
fi

# Fuzz smoke run: every cargo-fuzz target for a few seconds from its corpus
# (about a minute in all, plus the build); installs cargo-fuzz when missing.
# Only with the default arguments: a run of chosen tests stays that.
if [[ $# -eq 0 && "${SKIP_FUZZ:-}" != 1 ]]; then
  log "fuzz smoke run (scripts/fuzz.sh, FUZZ_SECONDS=${FUZZ_SECONDS:-8}; SKIP_FUZZ=1 skips it)"
  FUZZ_SECONDS=${FUZZ_SECONDS:-8} scripts/fuzz.sh
fi
