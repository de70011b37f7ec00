#!/usr/bin/env bash
# Load of the uplink listener, measured with `dcgw simulate` against a real `dcgw serve` on
# loopback (issue 5): memory per idle tracker connection at N connections, packets per second
# durably acknowledged with one destination, and acknowledgement latency at a fixed rate.
# usage: tests/load/uplink_load.sh [DCGW_BINARY] [CONNECTIONS] [SECONDS]
#        TLS=1 tests/load/uplink_load.sh ...   the same over TLS (a throwaway RSA-2048 certificate)
#        TLS=1 CERT=ecdsa ...                     over TLS with a P-256 one (dcgw tls-cert)
#        TLS=1 STORM=1000 ...                     the idle connections, then the latency at 10,000
#            packets/s while STORM other trackers drop their links and reconnect all at once every
#            5 s (dcgw simulate --reconnect-every); the throughput and plain latency runs skipped
#        SERVE_BIN=path/to/dcgw ...               the gateway from another build (the load from
#            DCGW_BINARY: compare a change with the same load generator)
# Not part of ctest (it takes minutes and wants the whole machine); quoted in the issue notes.
set -euo pipefail
bin=$(realpath "${1:-build/gateway/dcgw}")
serve_bin=$(realpath "${SERVE_BIN:-$bin}")
storm=${STORM:-0}
connections=${2:-10000}
seconds=${3:-10}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"
key=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff

# One destination: the binary method into a reference receiver (the fastest adapter, so the
# forwarding worker keeps up and competes for the CPU as it would in production).
"$bin" receive --binary 0 > /dev/null 2> "$work/receive.err" &
pids+=($!)
for _ in $(seq 100); do grep -q listening "$work/receive.err" && break; sleep 0.1; done
rport=$(grep -o '[0-9]*$' "$work/receive.err")
tls_config="" tls_flags=()
if [ "${TLS:-0}" = 1 ]; then
  if [ "${CERT:-rsa}" = ecdsa ]; then
    "$bin" tls-cert --out-cert "$work/uplink.pem" --out-key "$work/uplink.key" --days 1 > /dev/null
  else
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
      -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$work/uplink.key" \
      -out "$work/uplink.pem" 2> /dev/null
  fi
  tls_config=", \"tls\": {\"certificateFile\": \"$work/uplink.pem\", \"privateKeyFile\": \"$work/uplink.key\"}"
  tls_flags=(--tls --ca-file "$work/uplink.pem")
fi
cat > "$work/dcgw.json" <<EOF
{"store": {"synchronous": "${SYNCHRONOUS:-full}"},
 "uplink": {"maxConnections": 20000, "window": 1024${tls_config}},
 "admin": {"port": 0},
 "destinations": [{"name": "receiver", "method": "binary", "host": "127.0.0.1",
                   "port": $rport, "customTags": "123456"}],
 "locations": [{"name": "Load", "destinations": ["receiver"]}],
 "devices": [{"serial": "1", "location": "Load", "key": "$key"}]}
EOF
"$serve_bin" serve --db "$work/dcgw.db" --config "$work/dcgw.json" --uplink-port 0 --admin-port 0 \
  --stats-seconds 0 --log-level warn > "$work/serve.out" 2> "$work/serve.err" &
serve=$!
pids+=($serve)
for _ in $(seq 100); do grep -q "uplink listening" "$work/serve.err" && break; sleep 0.1; done
port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$work/serve.err" | grep -o '[0-9]*$')
admin=$(grep -o 'admin API on http://[0-9.]*:[0-9]*' "$work/serve.err" | grep -o '[0-9]*$')
token=$("$bin" token create --db "$work/dcgw.db" --role auditor 2> /dev/null | head -1)
# The forwarding worker's figures from /metrics: does it keep up with what was acknowledged?
forwarding() {
  curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$admin/metrics" |
    awk '/^dcgw_queue_depth\{/ {d=$2} /^dcgw_delivered_total\{/ {t=$2} END {print "depth " d ", delivered " t}'
}
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

echo "== provisioning $connections + 1000 + $storm devices"
"$bin" simulate --port "$port" --devices $((connections + 1000 + storm)) --first-serial 10000000 --key "$key" \
  --provision-db "$work/dcgw.db" --location Load --count 1 --rate 1000 "${tls_flags[@]}" \
  > /dev/null 2>&1 || true

echo "== $connections idle connections"
before=$(rss $serve)
"$bin" simulate --port "$port" --devices "$connections" --first-serial 10000000 --key "$key" \
  --rate 0 --duration $((seconds + 20)) --connect-rate 5000 "${tls_flags[@]}" > "$work/idle.out" 2>&1 &
idle=$!
pids+=($idle)
# Wait until every connection is logged in (the gateway counts them in /proc: its sockets).
for _ in $(seq 600); do
  n=$(ls /proc/$serve/fd | wc -l)
  [ "$n" -ge "$connections" ] && break
  sleep 0.1
done
sleep 3
during=$(rss $serve)
fds=$(ls /proc/$serve/fd | wc -l)
echo "gateway RSS before ${before} kB, with ${fds} open descriptors ${during} kB:" \
  "$(( (during - before) * 1024 / connections )) bytes per connection"

busy=$((10000000 + connections))
if [ "$storm" -gt 0 ]; then
  echo "== latency at 10,000 packets/s: 1000 trackers, while $storm others reconnect at once every 5 s"
  nice -n "${STORM_NICE:-19}" "$bin" simulate --port "$port" --devices "$storm" --first-serial $((busy + 1000)) --key "$key" \
    --rate 0 --duration $((seconds + 10)) --reconnect-every 5 --connect-rate 1000000 \
    --json "${tls_flags[@]}" > "$work/storm.out" 2> "$work/storm.err" &
  stormer=$!
  pids+=($stormer)
  sleep 5
  "$bin" simulate --port "$port" --devices 1000 --first-serial $busy --key "$key" \
    --rate 10000 --window 64 --duration "$seconds" --warmup "${WARMUP:-2}" --json "${tls_flags[@]}" | tail -1
  wait $stormer || true
  echo "storm trackers: $(tail -1 "$work/storm.out")"
  echo "receiver queue right after: $(forwarding); 5 s later: $(sleep 5; forwarding)"
  wait $idle || true
  echo "gateway RSS at the end: $(rss $serve) kB"
  exit 0
fi

echo "== throughput with the $connections idle connections held: 200 trackers, as fast as acknowledged"
"$bin" simulate --port "$port" --devices 200 --first-serial $busy --key "$key" \
  --rate 1000000 --window 512 --duration "$seconds" --json "${tls_flags[@]}" | tail -1
echo "== latency at 10,000 packets/s: 1000 trackers"
"$bin" simulate --port "$port" --devices 1000 --first-serial $busy --key "$key" \
  --rate 10000 --window 64 --duration "$seconds" --json "${tls_flags[@]}" | tail -1
wait $idle || true
cat "$work/idle.out" | tail -3
echo "gateway RSS at the end: $(rss $serve) kB"
