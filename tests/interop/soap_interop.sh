#!/usr/bin/env bash
# The SOAP adapter's message must be accepted and routed by a third-party SOAP stack (npm soap)
# serving our WSDL. usage: soap_interop.sh DCGW SOURCE_DIR
set -euo pipefail
dcgw=$1 src=$2
here=$src/tests/interop
command -v node > /dev/null || { echo "node is not installed (./dev.sh test installs it)"; exit 1; }
[ -d "$here/node_modules/soap" ] || { echo "npm soap missing: run 'npm ci --prefix tests/interop'"; exit 1; }
out=$(mktemp); trap 'kill $pid 2>/dev/null || true; rm -f "$out"' EXIT
node "$here/soap_server.js" "$src/schema/forwarding/digicentral.wsdl" > "$out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q '"port"' "$out" && break; sleep 0.1; done
port=$(grep -o '"port":[0-9]*' "$out" | head -1 | cut -d: -f2)
[ -n "$port" ] || { cat "$out"; echo "soap server did not start"; exit 1; }
# Tracking suppression ON (seed 004 section 12.2) and a Tracking packet, as base64.
printf '47026a00000001\n47006b016ba001d77f20fffee6c0002301a90a91000009f6ff6a00e1003c0001e24009006b016b9f\n' |
  "$dcgw" send --method soap --host "http://127.0.0.1:$port/datapacket/service.asmx" \
    --serial 12345678 --registration 'AB12 CDE' --custom-tags '<accountID>123456</accountID>' \
    | tee /dev/stderr | grep -c '"outcome":"delivered"' | grep -qx 2
sleep 0.2
calls=$(grep -c '"operation":"digicentralDataPacket"' "$out" || true)
[ "$calls" -eq 2 ] || { cat "$out"; echo "expected 2 routed calls, got $calls"; exit 1; }
grep -q '"deviceSerialNumber":"12345678"' "$out"
grep -q '"vehicleRegistrationNumber":"AB12 CDE"' "$out"
grep -q '"data":"RwJqAAAAAQ=="' "$out"
grep -q '"accountID":"123456"' "$out"
grep -q 'digicentral.Website/digicentralDataPacket' "$out"
echo "ok: npm soap routed both messages to digicentralDataPacket"
