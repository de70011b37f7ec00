#!/bin/sh
# The store's footprint (issue 17): bytes of store per delivered packet for 1, 3 and 10
# destinations and for the mix's smallest and largest packet families, and the disk a week of
# history needs for 1,000 / 10,000 / 100,000 trackers sending one packet a minute. The README's
# capacity table quotes what this prints.
#   tests/load/footprint.sh [BENCH] [PACKETS]
# BENCH: the footprint_bench binary (build/tests/bench/footprint_bench); PACKETS per run
# (100000). Each run fills a temporary SQLite store. For PostgreSQL, run footprint_bench
# --store postgresql://... on an empty database, one configuration per database.
set -eu
BENCH=${1:-build/tests/bench/footprint_bench}
PACKETS=${2:-100000}
[ -x "$BENCH" ] || { echo "footprint.sh: $BENCH is not built (ninja -C build footprint_bench)" >&2; exit 2; }

PER_WEEK=10080  # packets a week from one tracker at one a minute
printf '%-13s %-6s %9s %14s %15s %16s\n' destinations packet bytes/packet "1,000 trackers" "10,000 trackers" "100,000 trackers"
for payload in small large; do
  for dests in 1 3 10; do
    out=$("$BENCH" --packets "$PACKETS" --destinations "$dests" --payload "$payload")
    avg=$(printf '%s\n' "$out" | sed -n 's/.*(\([a-z]*\), \([0-9.]*\) bytes on average).*/\2/p')
    bpp=$(printf '%s\n' "$out" | sed -n 's/^bytes\/packet //p')
    [ -n "$bpp" ] || { printf '%s\n' "$out" >&2; echo "footprint.sh: no bytes/packet line" >&2; exit 1; }
    awk -v d="$dests" -v p="$payload ($avg B)" -v b="$bpp" -v w="$PER_WEEK" 'BEGIN {
      gb = b * w / 1e9
      printf "%-13s %-6s %9.0f %11.2f GB %12.1f GB %13.0f GB\n", d, p, b, gb * 1000, gb * 10000, gb * 100000
    }'
  done
done
echo "disk per week: bytes/packet x 10,080 packets per tracker; add the write-ahead log (16-64 MiB)"
