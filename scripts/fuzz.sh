#!/usr/bin/env bash
# Fuzzes ironbind with cargo-fuzz (libFuzzer + AddressSanitizer, debug
# assertions on): each target in fuzz/ runs for a bounded time, one at a
# time, from its committed corpus. Fails when any target crashes; the input
# that crashed it is in fuzz/artifacts/<target>/. See docs/FUZZING.md.
#
#   scripts/fuzz.sh                  # every target, FUZZ_SECONDS each
#   scripts/fuzz.sh query tsig       # these targets only
#   scripts/fuzz.sh --list           # the targets
#   scripts/fuzz.sh --seed           # rewrite fuzz/corpus/ from the seed writer
#
# Environment: FUZZ_SECONDS (default 60) per target; FUZZ_ARGS, extra
# libFuzzer flags (e.g. "-runs=1000000"); FUZZ_TOOLCHAIN, the toolchain
# (default: nightly when rustup has it, else the default toolchain with
# RUSTC_BOOTSTRAP=1, as cargo-fuzz needs unstable flags).
# New inputs found go to fuzz/corpus-run/<target> (not committed); the
# committed corpus is only read.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TARGETS=(query zone_file xfr_in tsig update control_body)
# The version of cargo-fuzz installed when it is missing.
CARGO_FUZZ_VERSION=0.13.2

log() { printf '==> %s\n' "$*" >&2; }

seconds=${FUZZ_SECONDS:-60}
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || (( seconds < 1 )); then
  log "FUZZ_SECONDS must be a positive number of seconds, not '$seconds'"
  exit 2
fi

mode=run
selected=()
for a in "$@"; do
  case "$a" in
    --list) printf '%s\n' "${TARGETS[@]}"; exit 0 ;;
    --seed) mode=seed ;;
    -h|--help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) log "unknown option $a"; exit 2 ;;
    *)
      if [[ " ${TARGETS[*]} " != *" $a "* ]]; then
        log "unknown target $a (targets: ${TARGETS[*]})"
        exit 2
      fi
      selected+=("$a")
      ;;
  esac
done
[[ ${#selected[@]} -eq 0 ]] && selected=("${TARGETS[@]}")

if ! command -v cargo >/dev/null; then
  log "cargo not found: install a Rust toolchain first"
  exit 1
fi

# cargo-fuzz passes unstable compiler flags (-Zsanitizer, sancov): nightly,
# or the stable compiler told to accept them.
toolchain=()
if [[ -n "${FUZZ_TOOLCHAIN:-}" ]]; then
  toolchain=("+$FUZZ_TOOLCHAIN")
elif command -v rustup >/dev/null && rustup toolchain list | grep -q '^nightly'; then
  toolchain=(+nightly)
else
  log "no nightly toolchain: using $(rustc --version) with RUSTC_BOOTSTRAP=1"
  export RUSTC_BOOTSTRAP=1
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION (cargo install --locked)"
  cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
fi

# The fixture's zones are statics whose nodes LeakSanitizer cannot see
# through their tagged pointers (fuzz/lsan.supp says why).
export LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

# -a: debug assertions (and overflow checks) in the optimised build.
build_flags=(--debug-assertions)

if [[ "$mode" == seed ]]; then
  log "building the seed writer"
  cargo "${toolchain[@]}" fuzz build "${build_flags[@]}" seed
  bin=$(find fuzz/target -path '*/release/seed' -type f | head -n1)
  rm -rf fuzz/corpus
  ASAN_OPTIONS=detect_leaks=0 "$bin" fuzz/corpus .
  exit 0
fi

log "cargo ${toolchain[*]} fuzz build (${selected[*]})"
started=$(date +%s)
cargo "${toolchain[@]}" fuzz build "${build_flags[@]}"
log "built in $(( $(date +%s) - started )) s"

failed=()
summary=()
for t in "${selected[@]}"; do
  mkdir -p "fuzz/corpus-run/$t" "fuzz/artifacts/$t"
  out="fuzz/artifacts/$t.log"
  log "fuzzing $t for ${seconds} s"
  # shellcheck disable=SC2086
  if cargo "${toolchain[@]}" fuzz run "${build_flags[@]}" "$t" "fuzz/corpus-run/$t" "fuzz/corpus/$t" -- \
      -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 ${FUZZ_ARGS:-} \
      >"$out" 2>&1; then
    done_line=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$out" | tail -n1)
    summary+=("$t: ${done_line:-finished}(s), no crash")
  else
    tail -n 40 "$out" >&2
    failed+=("$t")
    summary+=("$t: CRASHED (log: $out; input: fuzz/artifacts/$t/)")
  fi
done

log "summary"
printf '  %s\n' "${summary[@]}" >&2
if [[ ${#failed[@]} -gt 0 ]]; then
  log "crashed: ${failed[*]}"
  exit 1
fi
