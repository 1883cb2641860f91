#!/usr/bin/env bash
# Zone transfer benchmark: ironbind against Knot and BIND9 on 127.0.0.1 high ports.
#
# 1. AXFR: one generated zone of RECORDS records (default 100,000: SOA, NS, glue,
#    then A/AAAA/TXT/MX/CNAME names) served in turn by ironbind, Knot and BIND9,
#    each pinned to core 0, the client on core 1. Per server, RUNS transfers with
#    each of:
#      - `dig AXFR` with its full text output to /dev/null (what an operator
#        runs; dig's formatting is most of it);
#      - a raw wire reader (python3: length-prefixed messages off the TCP
#        socket, header counts only, the closing SOA checked): the time the
#        server takes to send the zone, with almost no client work;
#    and the server's own CPU (utime+stime of its processes) per AXFR during
#    the raw runs. Every raw run checks the record count (RECORDS + 1: the SOA
#    closes the transfer too); before timing, `dig +stats` and `kdig` check it
#    as well. Medians, and the ratios ironbind/Knot and ironbind/BIND.
# 2. Change to served: a primary and its secondary, ironbind → ironbind
#    (`also_notify`) and BIND9 → BIND9 (`notify explicit; also-notify`,
#    `notify-delay 0`, `ixfr-from-differences yes`), unpinned, for each zone
#    size of -Z. After the first transfer, CHANGES times: rewrite the primary's
#    zone file with one A record changed and the serial bumped, then a python3
#    poller sends SIGHUP to the primary and asks the secondary for the SOA
#    over UDP every ~2 ms; the figure is the time from just before the signal
#    to the first answer with the new serial. Medians and ranges.
# Then a Markdown table (also written to -o FILE).
#
# Usage: benches/xfr.sh [-n RECORDS] [-r RUNS] [-c CHANGES] [-Z "100 100000"]
#                       [-p PORT] [-s "ironbind knot bind"] [-o RESULTS.md] [-k] [-N]
#   -n  records in the AXFR zone (default 100000)
#   -r  AXFR runs per server and client (default 5)
#   -c  changes per primary/secondary pair and zone size (default 5)
#   -Z  zone sizes (records) for the change-to-served part (default "100 100000")
#   -p  base port: servers use PORT and PORT+1 on 127.0.0.1 (default 53540; never 53)
#   -s  servers for the AXFR part, in order (the change part runs ironbind and bind)
#   -o  also write the result tables to this file
#   -k  keep the temp dir (configs, zones, logs)
#   -N  do not install packages (fail if something is missing)
# Env: IRONBIND_BIN to use a given binary instead of building the release one;
# CARGO_TARGET_DIR as for cargo.
#
# Nothing is sent off the machine: every server listens on 127.0.0.1 only,
# the zone's only NS is its SOA MNAME (glue 127.0.0.1), ironbind runs with
# `notify_ns = false` and a temp `data_dir`, BIND NOTIFYs only the explicit
# also-notify target (or nobody), Knot has no notify remote.
set -euo pipefail
# shellcheck source=benches/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RECORDS=100000
RUNS=5
CHANGES=5
CHANGE_SIZES="100 100000"
PORT=53540
SERVERS="ironbind knot bind"
OUT=""
KEEP=0
INSTALL=1
while getopts "n:r:c:Z:p:s:o:kN" opt; do
    case "$opt" in
        n) RECORDS=$OPTARG ;;
        r) RUNS=$OPTARG ;;
        c) CHANGES=$OPTARG ;;
        Z) CHANGE_SIZES=$OPTARG ;;
        p) PORT=$OPTARG ;;
        s) SERVERS=$OPTARG ;;
        o) OUT=$OPTARG ;;
        k) KEEP=1 ;;
        N) INSTALL=0 ;;
        *) usage; exit 2 ;;
    esac
done
PORT2=$((PORT + 1))
if ((RECORDS < 4)); then
    echo "xfr.sh: -n needs at least 4 records" >&2
    exit 2
fi

check_ports xfr.sh "$PORT" "$PORT2"
bench_init xfr

# ---------------------------------------------------------------- install & build
ensure_packages xfr.sh "$INSTALL" named:bind9 knotd:knot knotc:knot kdig:knot-dnsutils dig:dnsutils python3:python3 taskset:util-linux pgrep:procps
need_two_cores xfr.sh client
build_ironbind

# ---------------------------------------------------------------- helpers (python3)
# axfr.py HOST PORT ZONE EXPECTED: one AXFR over TCP; prints "ms first_ms records
# messages bytes ok" (first_ms: until the first message is in; ok = 1 when the record count is EXPECTED and the transfer opens and closes with
# the SOA). Reads length-prefixed messages and only their header counts; walks the
# records of the first and the last message only.
cat >"$WORK/axfr.py" <<'EOF'
import socket, struct, sys, time
def skip_name(m, o):
    while True:
        l = m[o]
        if l == 0: return o + 1
        if l & 0xC0 == 0xC0: return o + 2
        o += 1 + l
def rr_types(m):
    qd, an = struct.unpack_from('>HH', m, 4)
    o = 12
    for _ in range(qd): o = skip_name(m, o) + 4
    ts = []
    for _ in range(an):
        o = skip_name(m, o)
        t, _c, _ttl, rdl = struct.unpack_from('>HHIH', m, o)
        ts.append(t); o += 10 + rdl
    return ts
def qname(z): return b''.join(bytes([len(l)]) + l.encode() for l in z.strip('.').split('.')) + b'\0'
host, port, zone, expected = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
q = struct.pack('>HHHHHH', 0x4158, 0, 1, 0, 0, 0) + qname(zone) + struct.pack('>HH', 252, 1)
t0 = time.perf_counter()
s = socket.create_connection((host, port), timeout=60)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.sendall(struct.pack('>H', len(q)) + q)
f = s.makefile('rb', buffering=1 << 20)
n = msgs = size = 0; ok = False; first = None
while n < expected:
    h = f.read(2)
    if len(h) < 2: break
    m = f.read(struct.unpack('>H', h)[0])
    msgs += 1; size += len(m)
    if first is None: first = time.perf_counter()
    if struct.unpack_from('>H', m)[0] != 0x4158 or m[3] & 0xF:
        print(f'bad message: id {m[:2].hex()} rcode {m[3] & 0xF}', file=sys.stderr); break
    if msgs == 1 and rr_types(m)[:1] != [6]:
        print('the first record is not the SOA', file=sys.stderr); break
    n += struct.unpack_from('>H', m, 6)[0]
    if n >= expected: ok = n == expected and rr_types(m)[-1] == 6
t1 = time.perf_counter()
s.close()
print(f'{(t1 - t0) * 1000:.2f} {((first or t1) - t0) * 1000:.2f} {n} {msgs} {size} {int(ok)}')
EOF

# poll.py PID HOST PORT ZONE SERIAL [LIMIT_S]: SIGHUP to PID, then ask HOST:PORT for
# ZONE's SOA over UDP every ~2 ms until it serves SERIAL; prints the ms from just
# before the signal to the answer that had it, the number of queries sent, and the
# wall-clock time of the signal (epoch seconds, to line up with the servers' logs).
cat >"$WORK/poll.py" <<'EOF'
import os, signal, socket, struct, sys, time
def skip_name(m, o):
    while True:
        l = m[o]
        if l == 0: return o + 1
        if l & 0xC0 == 0xC0: return o + 2
        o += 1 + l
def qname(z): return b''.join(bytes([len(l)]) + l.encode() for l in z.strip('.').split('.')) + b'\0'
def serial_of(m):
    if len(m) < 12 or m[3] & 0xF: return -1
    qd, an = struct.unpack_from('>HH', m, 4)
    o = 12
    for _ in range(qd): o = skip_name(m, o) + 4
    for _ in range(an):
        o = skip_name(m, o)
        t, _c, _ttl, rdl = struct.unpack_from('>HHIH', m, o)
        if t == 6: return struct.unpack_from('>I', m, skip_name(m, skip_name(m, o + 10)))[0]
        o += 10 + rdl
    return -1
pid, host, port, zone, want = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
limit = float(sys.argv[6]) if len(sys.argv) > 6 else 60.0
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((host, port))
s.settimeout(0.05)
q = qname(zone) + struct.pack('>HH', 6, 1)
qid = sent = 0
wall = time.time()
t0 = time.perf_counter()
os.kill(pid, signal.SIGHUP)
while True:
    qid = (qid + 1) & 0xFFFF
    s.send(struct.pack('>HHHHHH', qid, 0, 1, 0, 0, 0) + q)
    sent += 1
    got = None
    try:
        while got is None:
            m = s.recv(4096)
            if len(m) >= 2 and struct.unpack_from('>H', m)[0] == qid: got = serial_of(m)
    except (socket.timeout, ConnectionRefusedError):
        pass
    t = time.perf_counter()
    if got == want:
        print(f'{(t - t0) * 1000:.1f} {sent} {wall:.6f}')
        sys.exit(0)
    if t - t0 > limit:
        print(f'timeout {sent}')
        sys.exit(1)
    time.sleep(0.002)
EOF

# ---------------------------------------------------------------- zones
# gen_zone RECORDS SERIAL CHANGE: example.com with RECORDS records: SOA, NS ns1
# (= the SOA MNAME, glue 127.0.0.1), then names h0, h1, … cycling through 12 A,
# 4 AAAA, 2 TXT, 1 MX (to an A name: BIND logs a warning per MX target without
# an address, which would slow its loads), 1 CNAME in 20. CHANGE > 0 gives h0 the address
# 192.0.2.CHANGE instead of 10.0.0.0: "one record changed".
gen_zone() {
    awk -v n="$1" -v serial="$2" -v change="$3" 'BEGIN {
        print "$ORIGIN example.com."
        print "$TTL 3600"
        print "@ SOA ns1 hostmaster " serial " 3600 600 86400 300"
        print "@ NS ns1"
        print "ns1 A 127.0.0.1"
        for (i = 0; i < n - 3; i++) {
            k = i % 20; nm = "h" i
            if (i == 0 && change > 0) printf "%s A 192.0.2.%d\n", nm, change
            else if (k < 12) printf "%s A 10.%d.%d.%d\n", nm, int(i / 65536) % 256, int(i / 256) % 256, i % 256
            else if (k < 16) printf "%s AAAA 2001:db8::%x:%x\n", nm, int(i / 65536), i % 65536
            else if (k < 18) printf "%s TXT \"record %d of the transfer benchmark zone\"\n", nm, i
            else if (k == 18) printf "%s MX 10 h%d\n", nm, i - 18
            else printf "%s CNAME h%d\n", nm, i - 2
        }
    }'
}

# Atomically replaces a zone file (a new inode and mtime, as an editor's save would).
write_zone() { # FILE RECORDS SERIAL CHANGE
    gen_zone "$2" "$3" "$4" >"$1.tmp"
    mv -f "$1.tmp" "$1"
}

# ---------------------------------------------------------------- servers
# start_<server> DIR PORT ZONEFILE [ROLE [PEER_PORT]]: ROLE is axfr (default; a
# primary that lets loopback transfer and notifies nobody), primary (also
# NOTIFYs 127.0.0.1:PEER_PORT) or secondary (of 127.0.0.1:PEER_PORT). Pinned
# to core 0 with PIN=(taskset -c 0). Started by spawn (lib.sh): LAST_PID is
# the server's PID, stopped with the others by stop_all.
PIN=()

start_ironbind() {
    local dir=$1 port=$2 zf=$3 role=${4:-axfr} peer=${5:-} zone
    mkdir -p "$dir"
    need_free "$port"
    case $role in
        axfr) zone="file = \"$zf\"
allow_transfer = [\"127.0.0.0/8\"]" ;;
        primary) zone="file = \"$zf\"
allow_transfer = [\"127.0.0.0/8\"]
also_notify = [\"127.0.0.1:$peer\"]" ;;
        secondary) zone="type = \"secondary\"
primaries = [\"127.0.0.1:$peer\"]
allow_transfer = [\"127.0.0.0/8\"]" ;;
    esac
    ironbind_conf "$dir" "$port" info "$zone"
    spawn "$dir/ironbind.log" "${PIN[@]}" "$IRONBIND" --config "$dir/ironbind.toml"
}

start_knot() {
    local dir=$1 port=$2 zf=$3
    mkdir -p "$dir"
    need_free "$port"
    knot_conf "$dir" "$port" info "control:
    listen: \"$dir/knot.sock\"
acl:
  - id: xfr
    address: 127.0.0.0/8
    action: transfer
zone:
  - domain: example.com
    file: \"$zf\"
    storage: \"$dir\"
    acl: xfr
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none"
    spawn "$dir/knot.log" "${PIN[@]}" knotd -c "$dir/knot.conf"
}

start_bind() {
    local dir=$1 port=$2 zf=$3 role=${4:-axfr} peer=${5:-} opts zone
    mkdir -p "$dir"
    need_free "$port"
    case $role in
        axfr)
            opts="notify no;"
            zone="type primary; file \"$zf\";" ;;
        primary)
            opts="notify explicit; also-notify { 127.0.0.1 port $peer; }; notify-delay 0; ixfr-from-differences yes;"
            zone="type primary; file \"$zf\";" ;;
        secondary)
            opts="notify no;"
            zone="type secondary; primaries { 127.0.0.1 port $peer; }; file \"$dir/example.com.bak\";" ;;
    esac
    named_conf "$dir" "$port" "querylog no;
    allow-transfer { 127.0.0.0/8; };
    $opts" "zone \"example.com\" { $zone };"
    spawn "$dir/named.log" "${PIN[@]}" named -g -n 1 -c "$dir/named.conf"
}

CLK=$(getconf CLK_TCK)

need_free "$PORT"
need_free "$PORT2"

# ---------------------------------------------------------------- 1. AXFR
declare -A DIG RAW CPU LOAD RAWR DIGR FIRST MSGS BYTES
EXPECT=$((RECORDS + 1))
ZF="$WORK/axfr.zone"
write_zone "$ZF" "$RECORDS" 1 0
log "AXFR zone: $RECORDS records, $(wc -c <"$ZF") bytes of zone file"
LOADAVG_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

axfr_one() {
    local name=$1 dir="$WORK/axfr-$1" pid load out n r t0 t1 c0 c1 digs=() raws=() firsts=() ms fms recs msgs bytes ok
    PIN=(taskset -c 0)
    log "$name: loading the zone on core 0"
    "start_$name" "$dir" "$PORT" "$ZF"
    pid=$LAST_PID
    load=$(wait_serial "$pid" "$PORT" 1 "$name")
    # Knot pins its threads itself: move every thread to core 0.
    if [[ $name == knot ]]; then taskset -a -p -c 0 "$pid" >/dev/null; fi
    LOAD[$name]=$load

    # The record count as dig and kdig see it (also a warm-up).
    out=$(taskset -c 1 dig @127.0.0.1 -p "$PORT" +time=30 +tries=1 +noall +stats example.com AXFR 2>&1 || true)
    n=$(sed -n 's/^;; XFR size: \([0-9]*\) records.*/\1/p' <<<"$out")
    if [[ "$n" != "$EXPECT" ]]; then
        echo "xfr.sh: $name: dig saw ${n:-no} records, expected $EXPECT:" >&2
        echo "$out" >&2
        return 1
    fi
    out=$(taskset -c 1 kdig @127.0.0.1 -p "$PORT" +timeout=30 +noall +stats example.com AXFR 2>&1 || true)
    n=$(sed -n 's/^;; Received .* messages, \([0-9]*\) records).*/\1/p' <<<"$out")
    if [[ "$n" != "$EXPECT" ]]; then
        echo "xfr.sh: $name: kdig saw ${n:-no} records, expected $EXPECT:" >&2
        echo "$out" >&2
        return 1
    fi

    for r in $(seq "$RUNS"); do
        t0=$(now_ns)
        taskset -c 1 dig @127.0.0.1 -p "$PORT" +time=30 +tries=1 example.com AXFR >/dev/null
        t1=$(now_ns)
        digs+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')")
    done
    c0=$(tree_ticks "$pid")
    for r in $(seq "$RUNS"); do
        out=$(taskset -c 1 python3 "$WORK/axfr.py" 127.0.0.1 "$PORT" example.com "$EXPECT")
        read -r ms fms recs msgs bytes ok <<<"$out"
        if [[ ${ok:-0} != 1 ]]; then
            echo "xfr.sh: $name: raw AXFR run $r got $recs records in $msgs messages, expected $EXPECT closed by the SOA" >&2
            return 1
        fi
        raws+=("$ms")
        firsts+=("$fms")
    done
    c1=$(tree_ticks "$pid")
    DIG[$name]=$(median "${digs[@]}")
    DIGR[$name]=$(range "${digs[@]}")
    RAW[$name]=$(median "${raws[@]}")
    RAWR[$name]=$(range "${raws[@]}")
    FIRST[$name]=$(median "${firsts[@]}")
    CPU[$name]=$(awk -v t=$((c1 - c0)) -v hz="$CLK" -v n="$RUNS" 'BEGIN { printf "%.0f", t * 1000 / hz / n }')
    MSGS[$name]=$msgs
    BYTES[$name]=$bytes
    log "$name: dig ${DIG[$name]} ms (${DIGR[$name]}), raw ${RAW[$name]} ms (${RAWR[$name]}; first message after ${FIRST[$name]} ms), server CPU ${CPU[$name]} ms/AXFR, $EXPECT records in $msgs messages, $bytes bytes"
    stop_all
}

for s in $SERVERS; do axfr_one "$s"; done

# ---------------------------------------------------------------- 2. change → served
declare -A CH CHR CHINIT CHXFR CHREL CHNOT
PAIRS="ironbind bind"

change_one() { # server size
    local name=$1 size=$2 dir="$WORK/change-$1-$2" zf p s init c serial out ms sent wall sent_at rel rels=() nots=() times=() line
    PIN=()
    mkdir -p "$dir/primary" "$dir/secondary"
    zf="$dir/primary/example.com.zone"
    write_zone "$zf" "$size" 1 0
    log "$name → $name, $size records: starting primary on $PORT, secondary on $PORT2"
    "start_$name" "$dir/primary" "$PORT" "$zf" primary "$PORT2"
    p=$LAST_PID
    wait_serial "$p" "$PORT" 1 "$name primary" >/dev/null
    "start_$name" "$dir/secondary" "$PORT2" "$zf" secondary "$PORT"
    s=$LAST_PID
    init=$(wait_serial "$s" "$PORT2" 1 "$name secondary")
    CHINIT[$name,$size]=$init
    log "$name secondary serves serial 1 after ${init}s"
    for c in $(seq "$CHANGES"); do
        serial=$((c + 1))
        # Different mtimes for every version, whatever the file system's granularity.
        sleep 1.1
        write_zone "$zf" "$size" "$serial" "$c"
        if ! out=$(python3 "$WORK/poll.py" "$p" 127.0.0.1 "$PORT2" example.com "$serial" 60); then
            echo "xfr.sh: $name secondary did not serve serial $serial within 60 s ($out); see $dir" >&2
            return 1
        fi
        read -r ms sent wall <<<"$out"
        times+=("$ms")
        # Split at the primary's "sending notifies (serial N)" log line: reload, then NOTIFY → served.
        sent_at=$(notify_time "$name" "$dir/primary" "$serial")
        rel=$(awk -v a="$wall" -v b="$sent_at" 'BEGIN { if (b > 0) printf "%.1f", (b - a) * 1000; else print "-" }')
        if [[ $rel != - ]]; then
            rels+=("$rel")
            nots+=("$(awk -v t="$ms" -v r="$rel" 'BEGIN { printf "%.1f", t - r }')")
        fi
        # The change itself is served too.
        if [[ "$(dig @127.0.0.1 -p "$PORT2" +short +time=1 +tries=1 h0.example.com A)" != "192.0.2.$c" ]]; then
            echo "xfr.sh: $name secondary serves serial $serial without the changed record; see $dir" >&2
            return 1
        fi
        log "$name, $size records, change $c: serial $serial served by the secondary after $ms ms (NOTIFY sent after $rel ms; $sent SOA queries)"
    done
    CH[$name,$size]=$(median "${times[@]}")
    CHR[$name,$size]=$(range "${times[@]}")
    CHREL[$name,$size]=$(median "${rels[@]}")
    CHNOT[$name,$size]=$(median "${nots[@]}")
    # How the secondary took the last change (IXFR or AXFR, records).
    line=$(grep -h "Transfer completed" "$dir/secondary/"*.log | tail -1 || true)
    CHXFR[$name,$size]=$(sed -n 's/.*Transfer completed: \([0-9]* messages, [0-9]* records\).*/\1/p' <<<"$line" | head -1)
    if [[ $name == ironbind ]]; then
        CHXFR[$name,$size]="${CHXFR[$name,$size]}$(sed -n 's/.*op="\([a-z]*\)".*/, \1/p' <<<"$line" | head -1)"
    fi
    stop_all
}

# notify_time SERVER DIR SERIAL: epoch seconds of the primary's first "sending
# notifies (serial SERIAL)" log line (ironbind: UTC RFC 3339; named: local time
# "25-Nov-2026 18:48:53.138"), or 0.
notify_time() {
    local line ts=""
    line=$(grep -h "sending notifies (serial $3)" "$2"/*.log | head -1 || true)
    case $1 in
        ironbind) ts=$(awk '{ print $1 }' <<<"$line") ;;
        bind) ts=$(awk '{ print $1, $2 }' <<<"$line") ;;
    esac
    if [[ -n $ts ]]; then date -d "$ts" +%s.%N 2>/dev/null || echo 0; else echo 0; fi
}

for size in $CHANGE_SIZES; do
    for name in $PAIRS; do change_one "$name" "$size"; done
done
LOADAVG_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report

report() {
    echo "## xfr.sh results"
    echo
    echo "- date: $(date -u +%FT%TZ); kernel $(uname -r); $(nproc) cores; $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
    echo "- AXFR zone: $RECORDS records ($EXPECT in a transfer, the SOA twice), $(wc -c <"$ZF") bytes of zone file; $RUNS runs per server and client, median (range); server on core 0, client on core 1"
    echo "- change → served: $CHANGES changes per pair and zone size, median (range); unpinned"
    echo "- load average before/after: $LOADAVG_BEFORE / $LOADAVG_AFTER"
    for s in $(printf '%s\n' $SERVERS $PAIRS | awk '!seen[$0]++'); do echo "- $s: $(version_of "$s")"; done
    echo
    echo "### AXFR of the $RECORDS-record zone"
    echo
    echo "| server | raw reader ms (range) | of which until the 1st message | dig AXFR >/dev/null ms (range) | server CPU ms/AXFR | messages | bytes | ironbind/peer raw | ironbind/peer dig | ironbind/peer CPU |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for s in $SERVERS; do
        echo "| $s | ${RAW[$s]:--} (${RAWR[$s]:-}) | ${FIRST[$s]:--} | ${DIG[$s]:--} (${DIGR[$s]:-}) | ${CPU[$s]:--} | ${MSGS[$s]:--} | ${BYTES[$s]:--} | $(ratio "${RAW[ironbind]:-}" "${RAW[$s]:-}") | $(ratio "${DIG[ironbind]:-}" "${DIG[$s]:-}") | $(ratio "${CPU[ironbind]:-}" "${CPU[$s]:-}") |"
    done
    echo
    echo "### Change on the primary → new serial served by the secondary"
    echo
    echo "| pair | zone records | first transfer s | change → served ms | range ms | signal → primary sends NOTIFY ms | NOTIFY → served ms | last transfer (secondary's log) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---|"
    for size in $CHANGE_SIZES; do
        for s in $PAIRS; do
            echo "| $s → $s | $size | ${CHINIT[$s,$size]:--} | ${CH[$s,$size]:--} | ${CHR[$s,$size]:-} | ${CHREL[$s,$size]:--} | ${CHNOT[$s,$size]:--} | ${CHXFR[$s,$size]:--} |"
        done
    done
    echo
    echo "Ratios ironbind/BIND, change → served: $(for size in $CHANGE_SIZES; do printf '%s records %s; ' "$size" "$(ratio "${CH[ironbind,$size]:-}" "${CH[bind,$size]:-}")"; done)"
}

report | tee "${OUT:-/dev/null}"
