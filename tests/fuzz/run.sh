#!/usr/bin/env bash
# Runs every libFuzzer target briefly on a seed corpus made from the bundled example packets
# and generated tachograph files.
# Fails on the first crash or sanitizer report, printing the input that caused it.
# usage: run.sh FUZZ_BUILD_DIR SOURCE_DIR [SECONDS_PER_TARGET] [DCGW]
# DCGW is the dcgw program that decodes the example packets into the JSON corpus (default: the
# one of the normal build, SOURCE_DIR/build/gateway/dcgw, so the fuzzing tree builds only the
# fuzz targets and their corpus tools, not the whole gateway a third time).
set -euo pipefail
build=$1 src=$2 secs=${3:-20} dcgw=${4:-$2/build/gateway/dcgw}
[ -x "$dcgw" ] || { echo "run.sh: no dcgw program at $dcgw (build the normal tree first)" >&2; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/packets" "$work/frames" "$work/json" "$work/uplink" "$work/http" "$work/ddd_vu" "$work/card" \
  "$work/teltonika" "$work/artifacts"
n=0
while read -r hex; do
  n=$((n + 1))
  printf '%s' "$hex" | perl -ne 'print pack("H*", $_)' > "$work/packets/$n"
done < <(grep -vE '^\s*(#|$)' "$src/etc/examples/packets.hex" | tr -d ' \t\r')
"$dcgw" decode < "$src/etc/examples/packets.hex" | split -l 1 - "$work/json/j"
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
# Teltonika: the login, the wiki's Codec 8 / 8E / 16 / 12 frames with a ping between them, and
# the wiki's UDP datagram (schema/teltonika.md section 8).
tel() { printf '%s' "$2" | perl -ne 'print pack("H*", $_)' > "$work/teltonika/$1"; }
tel login 000F333536333037303432343431303133
tel session 000F333536333037303432343431303133000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101425E0F01F10000601A014E0000000000000000010000C7CFFF000000000000004A8E010000016B412CEE000100000000000000000000000000000000010005000100010100010011001D00010010015E2C880002000B000000003544C87A000E000000001DD7E06A00000100002994
tel codec16 000000000000005F10020000016BDBC7833000000000000000000000000000000000000B05040200010000030002000B00270042563A00000000016BDBC7871800000000000000000000000000000000000B05040200010000030002000B00260042563A00000200005FB3
tel codec12 000000000000000F0C010500000007676574696E666F0100004312
tel udp 003DCAFE0105000F33353230393330383634303336353508010000016B4F815B30010000000000000000000000000000000103021503010101425DBC000001
status=0
for target in fuzz_packet_decode:packets fuzz_binary_frame:frames fuzz_json_encode:json \
    fuzz_uplink_frame:uplink fuzz_http_request:http fuzz_ddd_vu:ddd_vu fuzz_ddd_card:card \
    fuzz_teltonika:teltonika; do
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
