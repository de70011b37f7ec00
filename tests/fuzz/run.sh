#!/usr/bin/env bash
# Runs every libFuzzer target briefly on a seed corpus made from the bundled example packets
# and generated tachograph files.
# Fails on the first crash or sanitizer report, printing the input that caused it.
# usage: run.sh FUZZ_BUILD_DIR SOURCE_DIR [SECONDS_PER_TARGET]
set -euo pipefail
build=$1 src=$2 secs=${3:-20}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/packets" "$work/frames" "$work/json" "$work/uplink" "$work/http" "$work/ddd_vu" "$work/card" \
  "$work/artifacts"
n=0
while read -r hex; do
  n=$((n + 1))
  printf '%s' "$hex" | perl -ne 'print pack("H*", $_)' > "$work/packets/$n"
done < <(grep -vE '^\s*(#|$)' "$src/etc/examples/packets.hex" | tr -d ' \t\r')
"$build/gateway/dcgw" decode < "$src/etc/examples/packets.hex" | split -l 1 - "$work/json/j"
printf '\x55\xa0\x00\x00\xf5' > "$work/frames/ack"
printf '\x55\xae\x00\x06\x01\x02busy\x0b' > "$work/frames/nak"
# The worked session of schema/uplink.md section 9, one frame per file and all in one.
grep -E '^(D->G|G->D) ' "$src/schema/uplink.md" | sed -E 's/^[^ ]+ +[A-Z]+ +//' | tr -d ' ' \
  | split -l 1 - "$work/uplink/hex"
for f in "$work"/uplink/hex*; do perl -ne 'print pack("H*", $_)' "$f" > "$f.bin"; rm "$f"; done
cat "$work"/uplink/*.bin > "$work/uplink/session"
# Admin API requests (the first byte picks the piece size and limits): pipelined, chunked, odd.
printf '\x05POST /api/v1/locations HTTP/1.1\r\nContent-Length: 12\r\n\r\n{"name":"A"}GET /healthz HTTP/1.1\r\n\r\n' > "$work/http/pipelined"
printf '\x21POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n5;e=1\r\nhello\r\n0\r\nT: 1\r\n\r\nGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' > "$work/http/chunked"
printf '\xc3GET http://h/p?q HTTP/1.1\r\nA: 1\r\nContent-Length: 3, 3\r\n\r\nabc\n\nGET / HTTP/1.1\n\n' > "$work/http/lenient"
# Vehicle-unit files from the synthetic builder (tests/support/ddd_vu_builder.hpp).
"$build/tests/fuzz/make_ddd_vu_corpus" "$work/ddd_vu"
# Card files from the generator (tests/support/ddd_card_builder.hpp), mostly without the EFs the
# parser skips so the inputs stay small: Gen1, Gen2v1, Gen2v2, workshop, wrapped, empty, and one
# whole download.
make_card() { "$build/tests/dcgw-make-ddd" "$@" > /dev/null; }
make_card driver-card "$work/card/gen1-full"
make_card driver-card "$work/card/gen1" --minimal
make_card driver-card "$work/card/gen2v1-wrapped" --gen2 --wrapped --minimal
make_card driver-card "$work/card/gen2v2-wrapped" --gen2v2 --wrapped --minimal
make_card driver-card "$work/card/gen1-empty" --empty --minimal
make_card workshop-card "$work/card/workshop" --minimal
make_card workshop-card "$work/card/workshop-gen2" --gen2 --wrapped --minimal
status=0
for target in fuzz_packet_decode:packets fuzz_binary_frame:frames fuzz_json_encode:json \
    fuzz_uplink_frame:uplink fuzz_http_request:http fuzz_ddd_vu:ddd_vu fuzz_ddd_card:card; do
  name=${target%%:*} corpus=$work/${target##*:}
  echo "== $name ($secs s)"
  if ! "$build/tests/fuzz/$name" -max_total_time="$secs" -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/" "$corpus" > "$work/$name.log" 2>&1; then
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$work/$name.log" || tail -30 "$work/$name.log"
    for a in "$work"/artifacts/*; do echo "input: $(od -An -tx1 -v "$a" | tr -d ' \n')"; done
    status=1
    break
  fi
  grep -E 'stat::number_of_executed_units' "$work/$name.log"
done
[ $status -eq 0 ] && echo "fuzzing finished without a crash"
exit $status
