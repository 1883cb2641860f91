#!/usr/bin/env bash
# Memory of a transfer in: an ironbind secondary takes an AXFR of a generated
# zone of RECORDS records (`h<i> A`, plus SOA, NS and glue) from an ironbind
# primary on 127.0.0.1 high ports, and reports
#   - the octets received on the wire and the octets the receive buffer held
#     at the end of the transfer (the secondary's debug line
#     `transfer received: N records held in H octets (W octets on the wire)`),
#   - the secondary's peak RSS (VmHWM) against an idle secondary's (same
#     flags, its primary unreachable), i.e. receiving and building included,
#   - the primary's peak RSS (reading and building the same zone from its file).
#
# Usage: benches/xfr_memory.sh [-n RECORDS] [-p PORT] [-b BINARY] [-k]
#   -n  records in the zone (default 1000000)
#   -p  base port: PORT and PORT+1 (and PORT+2 for the idle secondary) on 127.0.0.1 (default 53560)
#   -b  the ironbind binary (default $CARGO_TARGET_DIR/release/ironbind, else .../debug/ironbind)
#   -k  keep the temp dir
# Nothing leaves the machine: loopback only, notify_ns off.
set -euo pipefail
# shellcheck source=benches/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RECORDS=1000000
PORT=53560
BIN=""
KEEP=0
while getopts "n:p:b:k" opt; do
    case "$opt" in
        n) RECORDS=$OPTARG ;;
        p) PORT=$OPTARG ;;
        b) BIN=$OPTARG ;;
        k) KEEP=1 ;;
        *) usage; exit 2 ;;
    esac
done
check_ports xfr_memory.sh "$PORT" $((PORT + 2))
if [[ -z $BIN ]]; then
    BIN=$TARGET/release/ironbind
    [[ -x $BIN ]] || BIN=$TARGET/debug/ironbind
fi
[[ -x $BIN ]] || { echo "xfr_memory.sh: no ironbind binary at $BIN (cargo build -p ironbind-server)" >&2; exit 1; }
bench_init xfr_memory

ZONE=$WORK/bench.test.zone
awk -v n="$RECORDS" 'BEGIN {
    print "$ORIGIN bench.test.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 127.0.0.1"
    for (i = 0; i < n - 3; i++) printf "h%d A 10.%d.%d.%d\n", i, int(i / 65536) % 256, int(i / 256) % 256, i % 256
}' > "$ZONE"

common=(--udp-workers 1 --log-format text)
spawn "$WORK/primary.log" "$BIN" --listen "127.0.0.1:$PORT" --data-dir "$WORK/p" --zone "bench.test=$ZONE" \
    --allow-transfer 127.0.0.0/8 "${common[@]}"
PRIMARY=$LAST_PID
wait_log "$WORK/primary.log" "zone loaded" 600

# An idle secondary (its primary a closed port) for the baseline.
spawn "$WORK/idle.log" "$BIN" --listen "127.0.0.1:$((PORT + 2))" --data-dir "$WORK/idle" --secondary "bench.test=127.0.0.1:9" \
    "${common[@]}"
IDLE=$LAST_PID
wait_log "$WORK/idle.log" "listening" 60

start=$SECONDS
spawn "$WORK/secondary.log" "$BIN" --listen "127.0.0.1:$((PORT + 1))" --data-dir "$WORK/s" --secondary "bench.test=127.0.0.1:$PORT" \
    "${common[@]}" --log-level "info,ironbind::remote::transfer=debug"
SECONDARY=$LAST_PID
wait_log "$WORK/secondary.log" "Transfer completed" 900
sleep 1

line=$(grep -m1 "transfer received:" "$WORK/secondary.log")
held=$(sed -E 's/.*records held in ([0-9]+) octets.*/\1/' <<< "$line")
wire=$(sed -E 's/.*\(([0-9]+) octets on the wire\).*/\1/' <<< "$line")
peak=$(kib "$SECONDARY" VmHWM)
idle=$(kib "$IDLE" VmHWM)
ppeak=$(kib "$PRIMARY" VmHWM)
zbytes=$(stat -c %s "$ZONE")
echo "binary: $BIN ($("$BIN" --version 2>/dev/null || true)); $(date -u +%FT%TZ); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| records | zone file octets | octets on the wire | receive buffer octets | buffer / wire | secondary peak RSS KiB (idle) | peak − idle KiB | (peak − idle) / wire | primary peak RSS KiB | transfer + build s |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
awk -v r="$RECORDS" -v z="$zbytes" -v w="$wire" -v h="$held" -v p="$peak" -v i="$idle" -v pp="$ppeak" -v s="$((SECONDS - start))" \
    'BEGIN { printf "| %d | %d | %d | %d | %.2f | %d (%d) | %d | %.2f | %d | %d |\n", r, z, w, h, h / w, p, i, p - i, (p - i) * 1024 / w, pp, s }'
