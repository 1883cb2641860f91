#!/usr/bin/env bash
# ironbind against NSD, Knot and BIND9 (and a UDP echo server as the floor),
# one server at a time on 127.0.0.1:<high port>, each on ONE worker pinned to
# core 0, with dnsperf pinned to core 1.
#
# For each server and each zone (the small zone, then the 1,000,000-name zone):
#   - load time: from exec until it answers the zone's SOA (polled with dig);
#   - memory: VmRSS / VmHWM of the server's largest process, and PSS summed
#     over all its processes (NSD forks), read right after it first answers;
#   - throughput: RUNS × dnsperf -c 1 -T 1 for DURATION seconds over a query file that
#     mixes the six query kinds of the criterion benches (exact, NXDOMAIN,
#     NODATA, wildcard, CNAME, referral); queries/s from dnsperf;
#   - CPU per query: core 0's busy time (user+nice+system+irq+softirq from
#     /proc/stat) over the run divided by the queries answered, and the
#     server processes' own utime+stime divided the same way (immune to other
#     work on core 0, but misses softirq time charged to no process).
# Then tables with the ratios ironbind/peer.
#
# Usage: benches/peers.sh [-d SECONDS] [-r RUNS] [-p PORT] [-s "echo nsd knot bind ironbind"]
#                         [-z "small large"] [-o RESULTS.md] [-k] [-n]
#   -d  dnsperf duration per run (default 10)
#   -r  dnsperf runs per server and zone; the tables show the median (default 3)
#   -p  UDP/TCP port to serve on (default 53530; never 53)
#   -s  servers to run, in order
#   -z  zones to run
#   -o  also write the result tables to this file
#   -k  keep the temp dir (configs, zones, logs)
#   -n  do not install packages (fail if something is missing)
# Env: IRONBIND_BENCH_HOSTS=N shrinks the large zone; IRONBIND_BIN to use a given binary
# instead of building the release one; CARGO_TARGET_DIR as for cargo.
set -euo pipefail
# shellcheck source=benches/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION=10
REPS=3
PORT=53530
SERVERS="echo nsd knot bind ironbind"
ZONES="small large"
OUT=""
KEEP=0
INSTALL=1
while getopts "d:r:p:s:z:o:kn" opt; do
    case "$opt" in
        d) DURATION=$OPTARG ;;
        r) REPS=$OPTARG ;;
        p) PORT=$OPTARG ;;
        s) SERVERS=$OPTARG ;;
        z) ZONES=$OPTARG ;;
        o) OUT=$OPTARG ;;
        k) KEEP=1 ;;
        n) INSTALL=0 ;;
        *) usage; exit 2 ;;
    esac
done
check_ports peers.sh "$PORT"
bench_init peers

# ---------------------------------------------------------------- install & build
ensure_packages peers.sh "$INSTALL" nsd:nsd knotd:knot named:bind9 dnsperf:dnsperf dig:bind9-dnsutils taskset:util-linux pgrep:procps
need_two_cores peers.sh dnsperf

build_ironbind
build_helpers udp-echo write-zones
UDP_ECHO=$TARGET/release/udp-echo

log "writing zones and query files to $WORK/data"
"$TARGET/release/write-zones" "$WORK/data"
SERIAL=$(awk '/serial/ {print $1; exit}' "$WORK/data/small.zone")

# ---------------------------------------------------------------- servers
# start_<server> ZONEFILE DIR: start it pinned to core 0 on $PORT, set SERVER_PID.

start_echo() {
    spawn "$2/echo.log" taskset -c 0 "$UDP_ECHO" "127.0.0.1:$PORT"
}

start_ironbind() {
    # A config file rather than flags, for what has no flag: NOTIFY to the
    # zone's NS addresses (192.0.2.x, off this machine) must stay off, and the
    # data dir is a temp dir, never /var/lib/bind.
    ironbind_conf "$2" "$PORT" warn "file = \"$1\""
    spawn "$2/ironbind.log" taskset -c 0 "$IRONBIND" --config "$2/ironbind.toml"
}

start_nsd() {
    cat >"$2/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$PORT
    port: $PORT
    do-ip6: no
    server-count: 1
    reuseport: no
    username: ""
    chroot: ""
    zonesdir: "$2"
    database: ""
    zonelistfile: "$2/zone.list"
    xfrdfile: "$2/xfrd.state"
    xfrdir: "$2"
    pidfile: "$2/nsd.pid"
    logfile: "$2/nsd.log"
    verbosity: 0
    hide-version: yes
    minimal-responses: yes
    # Debian builds NSD with response rate limiting on: switch it off.
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: example.com
    zonefile: "$1"
EOF
    nsd-checkconf "$2/nsd.conf"
    spawn "$2/nsd.stderr" taskset -c 0 nsd -d -c "$2/nsd.conf"
}

start_knot() {
    knot_conf "$2" "$PORT" warning "zone:
  - domain: example.com
    file: \"$1\"
    storage: \"$2\"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none"
    spawn "$2/knot.stderr" taskset -c 0 knotd -c "$2/knot.conf"
}

start_bind() {
    named_conf "$2" "$PORT" "notify no;
    minimal-responses yes;
    querylog no;" "zone \"example.com\" {
    type primary;
    file \"$1\";
};"
    spawn "$2/named.stderr" taskset -c 0 named -g -n 1 -c "$2/named.conf"
}

# Knot pins its worker threads itself: after start, move every thread to core 0.
repin() {
    taskset -a -p -c 0 "$SERVER_PID" >/dev/null
}

# Core 0's busy ticks: user+nice+system+irq+softirq.
cpu0_busy() { awk '$1 == "cpu0" { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }

# PSS summed over the process tree, in KiB.
pss_kib() {
    local t=0 p v
    for p in $(tree_pids "$1"); do
        v=$(awk '$1 == "Pss:" { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
        t=$((t + ${v:-0}))
    done
    echo "$t"
}

# Waits until the server answers (SOA with our serial; any reply for echo).
# Prints the seconds since $1 (ns timestamp).
wait_ready() {
    if [[ $2 == echo ]]; then
        wait_answer "$SERVER_PID" "$PORT" "$2" "$1"
    else
        wait_serial "$SERVER_PID" "$PORT" "$SERIAL" "$2" example.com "$1"
    fi
}

# One line per query kind: what the server answered (dig, same flags as dnsperf: EDNS, no cookie).
KINDS=(exact nxdomain nodata wildcard cname referral)
probe_answers() { # server zone
    local i=0 qname qtype out status flags counts size
    while read -r qname qtype; do
        out=$(dig @127.0.0.1 -p "$PORT" +norec +nocookie +bufsize=1232 +time=2 +tries=1 "$qname" "$qtype" 2>&1 || true)
        status=$(sed -n 's/.*status: \([A-Z]*\).*/\1/p' <<<"$out")
        flags=$(sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p' <<<"$out")
        counts=$(sed -n 's/.*ANSWER: \([0-9]*\), AUTHORITY: \([0-9]*\), ADDITIONAL: \([0-9]*\).*/\1\/\2\/\3/p' <<<"$out")
        size=$(sed -n 's/^;; MSG SIZE  rcvd: \([0-9]*\).*/\1/p' <<<"$out")
        ANSWER[$1,$2,${KINDS[$i]}]="${status:-none} ${flags:-} ${counts:-} ${size:+${size}B}"
        i=$((i + 1))
    done <"$WORK/data/queries-small.txt"
}

# ---------------------------------------------------------------- runs
CLK=$(getconf CLK_TCK)
declare -A QPS CPU0 PROC CPU0R PROCR LOAD RSS HWM PSS RCODES ANSWER

# Clock ticks over queries, in µs per query.
per_query() {
    awk -v d="$1" -v q="$2" -v hz="$CLK" 'BEGIN { if (q > 0) printf "%.2f", d * 1e6 / hz / q; else print "-" }'
}

run_one() { # server zone
    local name=$1 zone=$2 dir zf qf started load b0 b1 p0 p1 perf done_q
    dir="$WORK/$name-$zone"
    mkdir -p "$dir"
    zf="$WORK/data/$zone.zone"
    qf="$WORK/data/queries-$zone.txt"
    log "$name: starting on the $zone zone"
    started=$(now_ns)
    "start_$name" "$zf" "$dir"
    load=$(wait_ready "$started" "$name")
    if [[ $name == knot ]]; then repin; fi
    LOAD[$name,$zone]=$load
    RSS[$name,$zone]=$(kib "$SERVER_PID" VmRSS)
    HWM[$name,$zone]=$(kib "$SERVER_PID" VmHWM)
    PSS[$name,$zone]=$(pss_kib "$SERVER_PID")
    log "$name: answering after ${load}s, VmRSS ${RSS[$name,$zone]} KiB; dnsperf for ${DURATION}s"
    if [[ $name != echo ]]; then probe_answers "$name" "$zone"; fi

    local r qps=() c0=() pr=()
    for r in $(seq "$REPS"); do
        b0=$(cpu0_busy)
        p0=$(tree_ticks "$SERVER_PID")
        perf=$(taskset -c 1 dnsperf -s 127.0.0.1 -p "$PORT" -d "$qf" -c 1 -T 1 -q 200 -e \
            -l "$DURATION" 2>&1) || { echo "$perf" >&2; return 1; }
        b1=$(cpu0_busy)
        p1=$(tree_ticks "$SERVER_PID")
        echo "$perf" >"$dir/dnsperf-$r.txt"
        done_q=$(awk '/Queries completed:/ { print $3 }' <<<"$perf")
        qps+=("$(awk '/Queries per second:/ { printf "%.0f", $4 }' <<<"$perf")")
        c0+=("$(per_query $((b1 - b0)) "$done_q")")
        pr+=("$(per_query $((p1 - p0)) "$done_q")")
        RCODES[$name,$zone]=$(awk -F': *' '/Response codes:/ { print $2 }' <<<"$perf")
        log "$name/$zone run $r: ${qps[-1]} q/s, ${c0[-1]} us/q on core 0 (${pr[-1]} in the server's processes); ${RCODES[$name,$zone]}"
    done
    QPS[$name,$zone]=$(median "${qps[@]}")
    CPU0[$name,$zone]=$(median "${c0[@]}")
    PROC[$name,$zone]=$(median "${pr[@]}")
    CPU0R[$name,$zone]=$(range "${c0[@]}")
    PROCR[$name,$zone]=$(range "${pr[@]}")
    stop_server
}

LOADAVG_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for zone in $ZONES; do
    for s in $SERVERS; do
        run_one "$s" "$zone"
    done
done
LOADAVG_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
hosts=$(grep -c '^host' "$WORK/data/large.zone" || true)

report() {
    echo "## peers.sh results"
    echo
    echo "- date: $(date -u +%FT%TZ); kernel $(uname -r); $(nproc) cores; $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
    echo "- dnsperf: \`-c 1 -T 1 -q 200 -e -l $DURATION\` on core 1, $REPS runs per server and zone (median shown); each server on core 0; large zone: $hosts hosts"
    echo "- load average before/after: $LOADAVG_BEFORE / $LOADAVG_AFTER"
    for s in $SERVERS; do echo "- $s: $(version_of "$s")"; done
    echo
    for zone in $ZONES; do
        echo "### Throughput and CPU per query, $zone zone"
        echo
        echo "| server | queries/s | core-0 µs/query (range) | server-process µs/query (range) | ironbind/peer q/s | ironbind/peer core-0 µs/q | ironbind/peer process µs/q | response codes (last run) |"
        echo "|---|---:|---:|---:|---:|---:|---:|---|"
        for s in $SERVERS; do
            echo "| $s | ${QPS[$s,$zone]:--} | ${CPU0[$s,$zone]:--} (${CPU0R[$s,$zone]:-}) | ${PROC[$s,$zone]:--} (${PROCR[$s,$zone]:-}) | $(ratio "${QPS[ironbind,$zone]:-}" "${QPS[$s,$zone]:-}") | $(ratio "${CPU0[ironbind,$zone]:-}" "${CPU0[$s,$zone]:-}") | $(ratio "${PROC[ironbind,$zone]:-}" "${PROC[$s,$zone]:-}") | ${RCODES[$s,$zone]:--} |"
        done
        echo
    done
    for zone in $ZONES; do
        echo "### Answers on the $zone zone (dig +norec +nocookie +bufsize=1232: rcode, flags, answer/authority/additional counts, size)"
        echo
        printf '| kind |'; for s in $SERVERS; do if [[ $s != echo ]]; then printf ' %s |' "$s"; fi; done; echo
        printf '|---|'; for s in $SERVERS; do if [[ $s != echo ]]; then printf -- '---|'; fi; done; echo
        for k in "${KINDS[@]}"; do
            printf '| %s |' "$k"
            for s in $SERVERS; do if [[ $s != echo ]]; then printf ' %s |' "${ANSWER[$s,$zone,$k]:--}"; fi; done
            echo
        done
        echo
    done
    for zone in $ZONES; do
        echo "### Load time and memory, $zone zone"
        echo
        echo "| server | load → first SOA answer (s) | VmRSS MiB (largest process) | VmHWM MiB | PSS MiB (all processes) | ironbind/peer load | ironbind/peer VmRSS | ironbind/peer PSS |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|"
        for s in $SERVERS; do
            if [[ $s == echo ]]; then continue; fi
            echo "| $s | ${LOAD[$s,$zone]:--} | $(awk -v k="${RSS[$s,$zone]:-0}" 'BEGIN{printf "%.1f", k/1024}') | $(awk -v k="${HWM[$s,$zone]:-0}" 'BEGIN{printf "%.1f", k/1024}') | $(awk -v k="${PSS[$s,$zone]:-0}" 'BEGIN{printf "%.1f", k/1024}') | $(ratio "${LOAD[ironbind,$zone]:-}" "${LOAD[$s,$zone]:-}") | $(ratio "${RSS[ironbind,$zone]:-}" "${RSS[$s,$zone]:-}") | $(ratio "${PSS[ironbind,$zone]:-}" "${PSS[$s,$zone]:-}") |"
        done
        echo
    done
}

report | tee "${OUT:-/dev/null}"
