# Shared by benches/peers.sh, benches/rrl.sh and benches/xfr.sh (sourced, not run).

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

# The server's main pid and all its descendants.
tree_pids() {
    local p
    echo "$1"
    for p in $(pgrep -P "$1" 2>/dev/null || true); do tree_pids "$p"; done
}

# utime+stime of the process tree, in clock ticks.
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

# a b -> a/b with two decimals, or "-" when either is not a number.
ratio() { # a b -> a/b
    awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "-" }'
}

now_ns() { date +%s%N; }

# The version line of a server, for the report header (uses $ROOT).
version_of() {
    case $1 in
        nsd) nsd -v 2>&1 | head -1 ;;
        knot) knotd --version 2>&1 | head -1 ;;
        bind) named -v 2>&1 | head -1 ;;
        ironbind) echo "ironbind $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?') (working tree)" ;;
        echo) echo "udp-echo (benches/src/bin/udp_echo.rs)" ;;
    esac
}

# stop_server: stops the server whose pid is in SERVER_PID (SIGTERM, up to
# 10 s, then SIGKILL, logged with the caller's log function) and clears it.
stop_server() {
    local pid=${SERVER_PID:-}
    SERVER_PID=""
    [[ -z "$pid" ]] && return 0
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
