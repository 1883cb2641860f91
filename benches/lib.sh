# Shared by benches/peers.sh, rrl.sh, xfr.sh and xfr_memory.sh (sourced, not run):
# the workspace paths, a temporary work dir with its cleanup and a log line,
# servers started in the background and stopped by PID, waiting until a server
# answers, ports, Debian packages, release builds, config files for BIND9, Knot
# and ironbind, and a few numbers (medians, ratios, CPU ticks, memory).
#
# A script sources this file first, parses its options (usage prints its
# header comment), then calls bench_init NAME.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
export PATH="$PATH:/usr/sbin:/sbin"
# Every server started (spawn), the last one, and the last one's PID again.
PIDS=()
SERVER_PID=""
LAST_PID=""
# How long wait_serial and wait_answer wait, in seconds.
READY_TIMEOUT=${READY_TIMEOUT:-600}

# ---------------------------------------------------------------- work dir, log

# bench_init NAME: WORK, a fresh temp dir; log lines "[NAME hh:mm:ss] …"; on
# exit (also on INT/TERM) every server started is stopped and WORK removed,
# or kept with KEEP=1 or after a failure.
bench_init() {
    BENCH=$1
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/ironbind-$1.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

# usage: the calling script's header comment, without the #! line and the #s.
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; }

log() { printf '[%s %s] %s\n' "${BENCH:-bench}" "$(date +%T)" "$*" >&2; }

# die MESSAGE: logs it, exits 1.
die() {
    log "$*"
    exit 1
}

bench_cleanup() {
    local rc=$?
    stop_all
    if [[ ${KEEP:-0} == 1 || $rc != 0 ]]; then
        log "work dir kept: $WORK"
    else
        rm -rf "$WORK"
    fi
    exit $rc
}

# ---------------------------------------------------------------- servers

# spawn LOGFILE COMMAND...: starts COMMAND in the background, its output in
# LOGFILE; sets LAST_PID and SERVER_PID and adds it to PIDS. COMMAND must be a
# program (behind a prefix such as taskset if need be), not a shell function:
# `func &` forks a subshell, whose PID is not the server's.
spawn() {
    local out=$1
    shift
    "$@" >"$out" 2>&1 &
    LAST_PID=$!
    SERVER_PID=$LAST_PID
    PIDS+=("$LAST_PID")
}

# stop_pid PID: SIGTERM, up to 10 s, then SIGKILL (logged); reaps it.
stop_pid() {
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid ignored SIGTERM; killing"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# stop_server: stops the last server started (SERVER_PID) and forgets it.
stop_server() {
    local pid=${SERVER_PID:-} p keep=()
    SERVER_PID=""
    [[ -n $pid ]] || return 0
    stop_pid "$pid"
    for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

# stop_all: stops every server started.
stop_all() {
    local pid
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    PIDS=()
    SERVER_PID=""
}

# ---------------------------------------------------------------- waiting

# soa_serial PORT [ZONE]: the SOA serial 127.0.0.1:PORT serves for ZONE
# (default example.com), or nothing.
soa_serial() {
    dig @127.0.0.1 -p "$1" +norec +time=1 +tries=1 +short "${2:-example.com}" SOA 2>/dev/null | awk 'NF == 7 { print $3 }' || true
}

# answers PORT: true when anything answers a DNS query on 127.0.0.1:PORT.
answers() {
    local out
    out=$(dig @127.0.0.1 -p "$1" +norec +time=1 +tries=1 example.com SOA 2>&1 || true)
    [[ $out == *"Got answer"* ]]
}

# seconds_since NS: seconds since the now_ns timestamp NS, two decimals.
seconds_since() { awk -v a="$1" -v b="$(now_ns)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }

# wait_serial PID PORT SERIAL NAME [ZONE] [STARTED_NS]: waits while PID runs,
# up to READY_TIMEOUT s, until 127.0.0.1:PORT serves SERIAL for ZONE (default
# example.com); prints the seconds since STARTED_NS (default: the call).
wait_serial() {
    local started=${6:-$(now_ns)} deadline=$((SECONDS + READY_TIMEOUT))
    while [[ "$(soa_serial "$2" "${5:-example.com}")" != "$3" ]]; do
        kill -0 "$1" 2>/dev/null || { echo "$BENCH: $4 exited while starting; see $WORK" >&2; return 1; }
        ((SECONDS < deadline)) || { echo "$BENCH: $4 did not serve serial $3 on port $2 within $READY_TIMEOUT s; see $WORK" >&2; return 1; }
        sleep 0.02
    done
    seconds_since "$started"
}

# wait_answer PID PORT NAME [STARTED_NS]: like wait_serial, for any answer at all.
wait_answer() {
    local started=${4:-$(now_ns)} deadline=$((SECONDS + READY_TIMEOUT))
    until answers "$2"; do
        kill -0 "$1" 2>/dev/null || { echo "$BENCH: $3 exited while starting; see $WORK" >&2; return 1; }
        ((SECONDS < deadline)) || { echo "$BENCH: $3 did not answer on port $2 within $READY_TIMEOUT s; see $WORK" >&2; return 1; }
        sleep 0.02
    done
    seconds_since "$started"
}

# wait_log FILE PATTERN SECONDS: waits until FILE has a line with PATTERN.
wait_log() {
    local end=$((SECONDS + $3))
    until grep -qs -- "$2" "$1"; do
        ((SECONDS < end)) || { echo "$BENCH: no '$2' in $1 after $3 s" >&2; tail -5 "$1" >&2 2>/dev/null; exit 1; }
        sleep 0.2
    done
}

# ---------------------------------------------------------------- ports

# check_ports SCRIPT PORT...: refuses any port below 1024 (53 above all) or above 65535.
check_ports() {
    local script=$1 p
    shift
    for p in "$@"; do
        if ((p < 1024 || p > 65535)); then
            echo "$script: pick a high port with -p (got $p; never 53)" >&2
            exit 2
        fi
    done
}

# need_free PORT: exits when something already answers DNS on 127.0.0.1:PORT.
need_free() {
    if answers "$1"; then
        echo "$BENCH: something already answers DNS on 127.0.0.1:$1; pick another -p" >&2
        exit 1
    fi
}

# ---------------------------------------------------------------- packages, builds

# ensure_packages SCRIPT INSTALL CMD:PKG...: installs the Debian packages whose
# command is missing (apt-get, sudo only when not root); with INSTALL=0 it
# only reports them and exits.
ensure_packages() {
    local script=$1 install=$2
    shift 2
    local need=() cmd_pkg
    for cmd_pkg in "$@"; do
        if ! command -v "${cmd_pkg%%:*}" >/dev/null 2>&1; then
            case " ${need[*]:-} " in *" ${cmd_pkg##*:} "*) ;; *) need+=("${cmd_pkg##*:}") ;; esac
        fi
    done
    ((${#need[@]})) || return 0
    if [[ $install == 0 ]]; then
        echo "$script: missing packages: ${need[*]}" >&2
        exit 1
    fi
    local sudo=""
    [[ $(id -u) == 0 ]] || sudo=sudo
    echo "$script: installing ${need[*]}" >&2
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
}

# need_two_cores SCRIPT WHAT: the server runs on core 0 and WHAT on core 1.
need_two_cores() {
    if (($(nproc) < 2)); then
        echo "$1: needs two cores (server on core 0, $2 on core 1)" >&2
        exit 1
    fi
}

# build_ironbind: IRONBIND, $IRONBIND_BIN when set, else the release build.
build_ironbind() {
    if [[ -n ${IRONBIND_BIN:-} ]]; then
        IRONBIND=$IRONBIND_BIN
        return
    fi
    log "building ironbind (release)"
    (cd "$ROOT" && cargo build --release -q -p ironbind-server --bin ironbind)
    IRONBIND=$TARGET/release/ironbind
}

# build_helpers BIN...: release builds of these ironbind-benches binaries,
# in $TARGET/release.
build_helpers() {
    local args=() b
    for b in "$@"; do args+=(--bin "$b"); done
    log "building $* (release)"
    (cd "$ROOT" && cargo build --release -q -p ironbind-benches "${args[@]}")
}

# ---------------------------------------------------------------- configs

# named_conf DIR PORT OPTIONS ZONES: DIR/named.conf for BIND9 on 127.0.0.1:PORT
# only (no recursion, no validation, no control channel, its files in DIR),
# with OPTIONS inside `options { }` and ZONES after it; named-checkconf'ed.
named_conf() {
    cat >"$1/named.conf" <<EOF
options {
    directory "$1";
    pid-file "$1/named.pid";
    session-keyfile "$1/session.key";
    managed-keys-directory "$1";
    listen-on port $2 { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    dnssec-validation no;
    $3
};
controls { };
$4
EOF
    named-checkconf "$1/named.conf"
}

# knot_conf DIR PORT LOG_LEVEL REST: DIR/knot.conf for Knot on 127.0.0.1:PORT
# with one worker of each kind, its log on stderr at LOG_LEVEL, its database in
# DIR/db, then REST (acl, control, zone sections); knotc conf-check'ed.
knot_conf() {
    mkdir -p "$1/db"
    cat >"$1/knot.conf" <<EOF
server:
    rundir: "$1"
    listen: 127.0.0.1@$2
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: $3
database:
    storage: "$1/db"
$4
EOF
    knotc -c "$1/knot.conf" conf-check >/dev/null
}

# ironbind_conf DIR PORT LOG_LEVEL ZONE_LINES: DIR/ironbind.toml for ironbind
# on 127.0.0.1:PORT with one UDP worker, its data dir DIR/data (never
# /var/lib), and one zone, example.com, that NOTIFYs none of its NS (their
# addresses are off this machine) plus ZONE_LINES (file, type, …).
ironbind_conf() {
    cat >"$1/ironbind.toml" <<EOF
version = 1
listen = ["127.0.0.1:$2"]
udp_workers = 1
data_dir = "$1/data"

[log]
level = "$3"

[[zone]]
name = "example.com"
notify_ns = false
$4
EOF
}

# ---------------------------------------------------------------- numbers

now_ns() { date +%s%N; }

# a b -> a/b with two decimals, or "-" when either is not a number.
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "-" }'
}

# median N...: the median, "-" for none.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# range N...: "min–max".
range() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "–" hi }'; }

# tree_pids PID: PID and all its descendants.
tree_pids() {
    local p
    echo "$1"
    for p in $(pgrep -P "$1" 2>/dev/null || true); do tree_pids "$p"; done
}

# tree_ticks PID: utime+stime of the process tree, in clock ticks.
tree_ticks() {
    local t=0 p s
    for p in $(tree_pids "$1"); do
        s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        s=${s##*) }
        # fields after "comm)": state(3) ... utime(14) stime(15) => offsets 11 and 12 here
        read -r -a f <<<"$s"
        t=$((t + f[11] + f[12]))
    done
    echo "$t"
}

# kib PID FIELD: the largest value of a /proc/PID/status field (VmRSS, VmHWM),
# in KiB, over the process tree (NSD keeps its zone in forked children).
kib() {
    local m=0 p v
    for p in $(tree_pids "$1"); do
        v=$(awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)
        if ((${v:-0} > m)); then m=${v:-0}; fi
    done
    echo "$m"
}

# The version line of a server, for the report header.
version_of() {
    case $1 in
        nsd) nsd -v 2>&1 | head -1 ;;
        knot) knotd --version 2>&1 | head -1 ;;
        bind) named -v 2>&1 | head -1 ;;
        ironbind) echo "ironbind $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?') (working tree)" ;;
        echo) echo "udp-echo (benches/src/bin/udp_echo.rs)" ;;
    esac
}
