#!/usr/bin/env bash
# Runs the store, forwarding and uplink benchmarks of two builds side by side, alternating them,
# so a change is judged against its parent in one sitting on the same machine.
# usage: tests/bench/side_by_side.sh OLD_BUILD_DIR NEW_BUILD_DIR [ROUNDS]
#   e.g. git worktree add /tmp/old HEAD~1 && cmake -S /tmp/old -B /tmp/old/build -G Ninja \
#        -DCMAKE_BUILD_TYPE=RelWithDebInfo && ninja -C /tmp/old/build && \
#        tests/bench/side_by_side.sh /tmp/old/build build
# Not part of ctest: it takes about ten minutes and wants a quiet machine.
set -euo pipefail
old=$(realpath "$1")
new=$(realpath "$2")
rounds=${3:-2}
here=$(dirname "$(realpath "$0")")
for r in $(seq "$rounds"); do
  for side in old new; do
    b=${!side}
    echo "=== round $r: $side ($b)"
    echo "--- enqueue_bench"
    "$b/tests/bench/enqueue_bench" --packets 200000 2>&1 | grep -v '^$'
    echo "--- queue_bench --rate 5000 --seconds 5"
    "$b/tests/bench/queue_bench" --rate 5000 --seconds 5 2>&1 | grep -v '^$'
    echo "--- forward_bench --seconds 2"
    "$b/tests/bench/forward_bench" --seconds 2 --dcgw "$b/gateway/dcgw" 2>&1 | grep -v '^$'
    echo "--- audit_bench"
    "$b/tests/bench/audit_bench" 2>&1 | grep -v '^ *\(SEARCH\|SCAN\|--\|USE\)' | grep -v '^$'
    echo "--- uplink_load.sh 10000 5"
    "$here/../load/uplink_load.sh" "$b/gateway/dcgw" 10000 5 2>&1 | grep -v '^$'
  done
done
