# Shared by benches/peers.sh and benches/xfr.sh (sourced, not run).

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
