#!/usr/bin/env bash
# dcgw build helper: `./dev.sh run` builds and runs the gateway on its embedded defaults,
# `./dev.sh test` builds and passes every test (normal, ASan+UBSan, and a short fuzzing run),
# `./dev.sh package` builds the Debian package build/dcgw_VERSION_amd64.deb.
# Each installs what is missing from Debian 12's packages first (root, or sudo).
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
  cmake ninja-build g++ clang libclang-rt-14-dev clang-format pkg-config perl openssl
  libpoco-dev libxml2-dev libssl-dev libsqlite3-dev libspdlog-dev nlohmann-json3-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev libpcsclite-dev libsystemd-dev tzdata libpq-dev
)
# `package`: cpack's DEB generator takes Depends from dpkg-shlibdeps.
PACKAGE_PACKAGES=(dpkg-dev file)
# Only the tests drive a browser (the console's test), so only `test` installs one; and only
# they run pcscd with vsmartcard's virtual reader (the card bridge's tests, no hardware); the
# contract test seeds the card relay's log with the sqlite3 shell; the alert rules are checked
# and unit-tested with promtool (Debian's prometheus package). The package's test lints it and
# installs it in a Debian 12 chroot it makes with debootstrap. The PostgreSQL store's
# conformance test starts its own server from Debian's postgresql.
TEST_PACKAGES=(chromium pcscd vsmartcard-vpcd sqlite3 prometheus debootstrap lintian curl postgresql haproxy
  "${PACKAGE_PACKAGES[@]}")
# Node.js runs the SOAP interop test's third-party stack. A machine may have node and npm from
# elsewhere (nodesource ships npm inside its nodejs, and Debian's npm would conflict with it).
command -v node > /dev/null || PACKAGES+=(nodejs)
command -v npm > /dev/null || PACKAGES+=(npm)
JOBS=${JOBS:-$(nproc)}

ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "dev.sh: installing ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

configure_and_build() {  # DIR [cmake options...] -- [ninja targets...]
  local dir=$1; shift
  local opts=() targets=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  targets=("$@")
  cmake -S . -B "$dir" -G Ninja "${opts[@]}" > /dev/null
  ninja -C "$dir" -j "$JOBS" "${targets[@]}"
}

cmd_run() {
  ensure_packages "${PACKAGES[@]}"
  configure_and_build build -DCMAKE_BUILD_TYPE=RelWithDebInfo -- dcgw
  # Thousands of trackers need thousands of descriptors.
  ulimit -n "$(ulimit -Hn)" 2> /dev/null || true
  echo "dcgw: serving on the defaults (uplink 127.0.0.1:7700, database dcgw.db, etc/dcgw.json);" \
    "Ctrl-C stops it"
  exec build/gateway/dcgw serve "$@"
}

cmd_test() {
  ensure_packages "${PACKAGES[@]}" "${TEST_PACKAGES[@]}"
  # The SOAP interop test's third-party stack (npm soap), pinned by package-lock.json.
  [ -d tests/interop/node_modules/soap ] || npm ci --prefix tests/interop --no-audit --no-fund
  # The console's browser test: playwright-core (pinned; it drives Debian's chromium).
  [ -d tests/browser/node_modules/playwright-core ] ||
    npm ci --prefix tests/browser --no-audit --no-fund
  # The admin API's contract test: a maintained OpenAPI validator and a JSON Schema validator.
  [ -d tests/contract/node_modules/@apidevtools/swagger-parser ] ||
    npm ci --prefix tests/contract --no-audit --no-fund
  echo "== normal build"
  configure_and_build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
  (cd build && ctest --output-on-failure -j "$JOBS")
  echo "== ASan + UBSan build"
  # -g1: line tables and function names, all a sanitizer report needs, and a shorter build.
  configure_and_build build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
    -DCMAKE_C_FLAGS_DEBUG=-g1 -DDCGW_SANITIZE=ON -DDCGW_BENCH=OFF
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -j "$JOBS")
  echo "== libFuzzer targets (clang), ${FUZZ_SECONDS:-20} s each"
  CC=clang CXX=clang++ configure_and_build build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DDCGW_FUZZ=ON -DDCGW_BENCH=OFF -- fuzz_targets
  tests/fuzz/run.sh build-fuzz . "${FUZZ_SECONDS:-20}" build/gateway/dcgw
  echo "== all tests passed"
}

cmd_package() {
  ensure_packages "${PACKAGES[@]}" "${PACKAGE_PACKAGES[@]}"
  configure_and_build build -DCMAKE_BUILD_TYPE=RelWithDebInfo -- dcgw
  (cd build && cpack -G DEB)
  ls build/dcgw_*.deb
}

case "${1:-}" in
  run) shift; cmd_run "$@" ;;
  test) cmd_test ;;
  package) cmd_package ;;
  *) echo "usage: ./dev.sh run [dcgw serve options] | test | package" >&2; exit 2 ;;
esac
