#!/usr/bin/env bash
# dcgw decode on the bundled examples must succeed on every line, and encoding its output must
# give back the same bytes (comments and blank lines aside).
set -euo pipefail
dcgw=$1 examples=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$dcgw" decode < "$examples" > "$tmp/decoded.jsonl"
"$dcgw" encode < "$tmp/decoded.jsonl" > "$tmp/encoded.hex"
grep -vE '^\s*(#|$)' "$examples" | tr -d ' \t\r' | tr 'A-F' 'a-f' > "$tmp/expected.hex"
diff -u "$tmp/expected.hex" "$tmp/encoded.hex"
lines=$(wc -l < "$tmp/expected.hex")
[ "$lines" -ge 27 ] || { echo "expected at least 27 example packets, found $lines"; exit 1; }
# base64 form decodes to the same JSON
while read -r hex; do echo "$hex" | perl -ne 'chomp; print pack("H*", $_)' | base64 -w0; echo; done < "$tmp/expected.hex" \
  | "$dcgw" decode --base64 | diff -u "$tmp/decoded.jsonl" -
echo "ok: $lines example packets decode and round-trip"
