#!/usr/bin/env bash
# Reflection and amplification: a spoofed flood "from" one victim address.
#
# An attacker sends small queries with the victim's address as the source;
# whatever the server answers goes to the victim. On loopback the victim is
# one source address (127.0.9.66, its own /24), the queries come from
# several of its ports, and rrl-flood counts everything sent back to it.
# For each server (ironbind, BIND9 named as the peer) with response rate
# limiting off and then on (LIMIT responses/s, slip 2, window 15, /24), it
# floods two queries an attacker likes: a large TXT RRset (about 1 KB of
# answer for a 44-octet query) and ANY at the apex. It prints sent vs
# answered packets and octets and their ratios: the bytes ratio is the
# amplification the victim receives.
#
# Usage: benches/rrl.sh [-r RATE] [-d SECONDS] [-l LIMIT] [-p PORT] [-s "ironbind bind"] [-o OUT.md] [-k]
#   -r  queries per second sent (default 5000)
#   -d  seconds per flood (default 5)
#   -l  responses-per-second when RRL is on (default 10)
#   -p  port to serve on (default 53531; never 53)
#   -s  servers to run
#   -o  also write the table to this file
#   -k  keep the temp dir
# Env: IRONBIND_BIN to use a given binary instead of building the release one.
set -euo pipefail
# shellcheck source=benches/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RATE=5000
SECS=5
LIMIT=10
PORT=53531
SERVERS="ironbind bind"
OUT=""
KEEP=0
while getopts "r:d:l:p:s:o:k" opt; do
    case "$opt" in
        r) RATE=$OPTARG ;;
        d) SECS=$OPTARG ;;
        l) LIMIT=$OPTARG ;;
        p) PORT=$OPTARG ;;
        s) SERVERS=$OPTARG ;;
        o) OUT=$OPTARG ;;
        k) KEEP=1 ;;
        *) usage; exit 2 ;;
    esac
done
check_ports rrl.sh "$PORT"
bench_init rrl
VICTIM=127.0.9.66
# A server that has not answered within a minute will not.
READY_TIMEOUT=60

build_ironbind
build_helpers rrl-flood
FLOOD=$TARGET/release/rrl-flood

# The zone: SOA, NS, an apex with the usual records, and "big" with 5 TXT
# records of 190 octets each (a 1,070-octet answer: under the 1,232 both send).
ZONE=$WORK/example.com.zone
{
    echo '$ORIGIN example.com.'
    echo '$TTL 3600'
    echo '@ SOA ns1 hostmaster 1 7200 3600 1209600 300'
    echo '@ NS ns1'
    echo '@ NS ns2'
    echo '@ MX 10 mail'
    echo '@ TXT "v=spf1 mx -all"'
    echo '@ A 192.0.2.1'
    echo '@ AAAA 2001:db8::1'
    echo 'ns1 A 192.0.2.53'
    echo 'ns2 A 192.0.2.54'
    echo 'mail A 192.0.2.25'
    for i in $(seq -w 1 5); do
        printf 'big TXT "%s-%s"\n' "$i" "$(printf 'x%.0s' $(seq 187))"
    done
} >"$ZONE"

start_ironbind() { # LIMIT (0: off)
    local rrl=()
    [[ $1 == 0 ]] || rrl=(--rrl-responses-per-second "$1" --rrl-slip 2 --rrl-window 15)
    spawn "$WORK/ironbind.log" "$IRONBIND" --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" --udp-workers 2 \
        --zone "example.com=$ZONE" "${rrl[@]}"
}

start_bind() { # LIMIT (0: off)
    local d=$WORK/named rl=""
    mkdir -p "$d"
    [[ $1 == 0 ]] || rl="rate-limit { responses-per-second $1; slip 2; window 15; };"
    named_conf "$d" "$PORT" "$rl" "zone \"example.com\" { type primary; file \"$ZONE\"; };"
    spawn "$WORK/named.log" named -g -n 2 -c "$d/named.conf"
}

ROWS=()
for server in $SERVERS; do
    for limit in 0 "$LIMIT"; do
        for q in "big.example.com TXT" "example.com ANY"; do
            case "$server" in
                ironbind) start_ironbind "$limit" ;;
                bind) start_bind "$limit" ;;
                *) echo "unknown server $server" >&2; exit 2 ;;
            esac
            wait_answer "$SERVER_PID" "$PORT" "$server" >/dev/null
            # shellcheck disable=SC2086
            line=$("$FLOOD" "127.0.0.1:$PORT" "$VICTIM" $q "$RATE" "$SECS" 8)
            stop_server
            log "$server rrl=$limit $q: $line"
            declare -A v=()
            for kv in $line; do v[${kv%%=*}]=${kv#*=}; done
            rl=$([[ $limit == 0 ]] && echo off || echo "$limit/s")
            ROWS+=("| $server | $rl | ${q#* } | ${v[sent_pkts]} | ${v[sent_bytes]} | ${v[full_pkts]} + ${v[tc_pkts]} TC | ${v[answered_bytes]} | ${v[pkts_ratio]} | ${v[bytes_ratio]}x | ${v[answered_pps]} |")
            unset v
        done
    done
done

{
    echo "Flood: $RATE queries/s for $SECS s from $VICTIM (8 source ports), EDNS 4096; RRL when on: LIMIT/s, slip 2, window 15, /24"
    echo
    echo "| server | RRL | query | sent pkts | sent octets | answered pkts (full + TC) | answered octets | answered/sent pkts | answered/sent octets | full answers/s |"
    echo "|---|---|---|--:|--:|--:|--:|--:|--:|--:|"
    printf '%s\n' "${ROWS[@]}"
} | sed "s|LIMIT/s|$LIMIT/s|" | tee ${OUT:+"$OUT"}
