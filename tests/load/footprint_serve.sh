#!/usr/bin/env bash
# The store's footprint under a real gateway (issue 17's measurement): `dcgw serve`
# (synchronous full) forwarding to three destinations (binary, REST and XML over TCP, each into
# `dcgw receive`), 200 simulated trackers sending `dcgw simulate`'s mix at RATE packets/s for
# SECONDS; once every queue is empty, the store's bytes per acknowledged packet (pages in use,
# with dbstat's split by table) and the file's size.
# usage: tests/load/footprint_serve.sh [DCGW_BINARY] [RATE] [SECONDS]   (5000, 60)
# Not part of ctest (it takes minutes and wants the whole machine); quoted in the README.
set -euo pipefail
bin=$(realpath "${1:-build/gateway/dcgw}")
rate=${2:-5000}
seconds=${3:-60}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
command -v sqlite3 > /dev/null || { echo "footprint_serve.sh: needs sqlite3 (apt-get install -y sqlite3)" >&2; exit 2; }
key=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff

"$bin" receive --binary 0 --rest 0 --xml-tcp 0 > /dev/null 2> "$work/receive.err" &
pids+=($!)
for _ in $(seq 100); do [ "$(grep -c listening "$work/receive.err")" -ge 3 ] && break; sleep 0.1; done
port_of() { grep "$1 listening" "$work/receive.err" | grep -o '[0-9]*$'; }
cat > "$work/dcgw.json" <<EOF
{"store": {"synchronous": "full"},
 "uplink": {"window": 1024},
 "admin": {"port": 0},
 "destinations": [
   {"name": "binary", "method": "binary", "host": "127.0.0.1", "port": $(port_of binary)},
   {"name": "rest", "method": "rest", "host": "http://127.0.0.1:$(port_of rest)/"},
   {"name": "xml", "method": "xml-tcp", "host": "127.0.0.1", "port": $(port_of xml-tcp)}],
 "locations": [{"name": "Load", "destinations": ["binary", "rest", "xml"]}],
 "devices": [{"serial": "1", "location": "Load", "key": "$key"}]}
EOF
"$bin" serve --db "$work/dcgw.db" --config "$work/dcgw.json" --uplink-port 0 --admin-port 0 \
  --stats-seconds 0 --log-level warn > "$work/serve.out" 2> "$work/serve.err" &
serve=$!
pids+=($serve)
for _ in $(seq 100); do grep -q "uplink listening" "$work/serve.err" && break; sleep 0.1; done
port=$(grep -o 'uplink listening on [0-9.]*:[0-9]*' "$work/serve.err" | grep -o '[0-9]*$')
"$bin" simulate --port "$port" --devices 200 --first-serial 20000000 --key "$key" \
  --provision-db "$work/dcgw.db" --location Load --count 1 --rate 1000 > /dev/null 2>&1 || true
base=$(sqlite3 "$work/dcgw.db" "SELECT COUNT(*) FROM packets")

echo "== 200 trackers at $rate packets/s for $seconds s, three destinations"
"$bin" simulate --port "$port" --devices 200 --first-serial 20000000 --key "$key" \
  --rate "$rate" --window 256 --duration "$seconds" --json | tail -1 | tee "$work/simulate.json"
acked=$(grep -o '"acknowledged":[0-9]*' "$work/simulate.json" | grep -o '[0-9]*$')
# Every queue empty (pending rows 0), at most 5 minutes.
for _ in $(seq 300); do
  left=$(sqlite3 "$work/dcgw.db" "PRAGMA busy_timeout=5000; SELECT COUNT(*) FROM deliveries WHERE state = 0" | tail -1)
  [ "$left" = 0 ] && break
  sleep 1
done
kill -TERM "$serve"
wait "$serve" || true
packets=$(( $(sqlite3 "$work/dcgw.db" "SELECT COUNT(*) FROM packets") - base ))
sqlite3 "$work/dcgw.db" "PRAGMA wal_checkpoint(TRUNCATE);" > /dev/null
echo "pending rows left: $left"
echo "packets acknowledged: $acked; stored: $packets (with the ones the gateway made); dead letters: $(sqlite3 "$work/dcgw.db" "SELECT COUNT(*) FROM deliveries WHERE state = 2")"
sqlite3 "$work/dcgw.db" "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name HAVING SUM(pgsize) > 65536 ORDER BY 2 DESC" |
  awk -F'|' -v n="$packets" '{printf "%-22s %12d bytes %7.1f bytes/packet\n", $1, $2, $2 / n}'
used=$(sqlite3 "$work/dcgw.db" "SELECT (SELECT page_count FROM pragma_page_count) - (SELECT freelist_count FROM pragma_freelist_count)")
page=$(sqlite3 "$work/dcgw.db" "PRAGMA page_size")
awk -v u="$used" -v p="$page" -v n="$packets" -v a="$acked" -v f="$(stat -c %s "$work/dcgw.db")" 'BEGIN {
  printf "store: %.1f MB in use (file %.1f MB): %.0f bytes per packet stored, %.0f per packet acknowledged\n",
    u * p / 1e6, f / 1e6, u * p / n, u * p / a }'
