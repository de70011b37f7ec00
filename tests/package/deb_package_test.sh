#!/usr/bin/env bash
# The Debian package, installed as an administrator would: cpack builds it, lintian finds no
# error, and in a fresh Debian 12 chroot (debootstrap, cached under the build directory) it
# installs with its dependencies, the unit's ExecStart runs as the user dcgw and answers
# /healthz, a second start finds the first one's data, and a purge leaves no file, no user and
# no /var/lib/dcgw. Needs root and the Debian mirror apt uses; exits 77 (skipped) without them.
# usage: deb_package_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
work=$build/deb-test
cache=$build/deb-chroot-cache   # the pristine chroot and apt's downloads, kept between runs
root=$work/root

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, chroot)"
for tool in cpack lintian debootstrap chroot setpriv curl; do
  command -v "$tool" > /dev/null || skip "$tool is not installed (./dev.sh test installs it)"
done
# The mirror apt uses here (deb822 or one-line sources), else Debian's.
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p; s/^deb  *\(\[[^]]*\] *\)\{0,1\}\(http[^ ]*\) .*/\2/p' \
  /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
  2> /dev/null | grep -v security | head -n 1 || true)
mirror=${mirror:-http://deb.debian.org/debian}

# A run killed before its clean-up may have left its mounts: never delete through them.
awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r |
  while read -r m; do umount -l "$m"; done
rm -rf "$work"
mkdir -p "$work/out" "$cache"
mounted=()
serve_pid=
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2> /dev/null && wait "$serve_pid" 2> /dev/null
  local m
  for m in "${mounted[@]}"; do umount -l "$m" 2> /dev/null || true; done
  return 0
}
trap cleanup EXIT

echo "== cpack"
(cd "$build" && cpack -G DEB -B "$work/out" > "$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log"; fail "cpack"; }
deb=$(ls "$work"/out/dcgw_*_amd64.deb)
echo "$deb"
dpkg-deb --field "$deb"
dpkg-deb --contents "$deb"

echo "== lintian"
lintian --allow-root --tag-display-limit 0 "$deb" > "$work/lintian.txt" 2>&1 || true
cat "$work/lintian.txt"
! grep -q '^E:' "$work/lintian.txt" || fail "lintian reports errors"

echo "== chroot (Debian 12 minbase from $mirror)"
if [ ! -e "$cache/base/.complete" ]; then
  rm -rf "$cache/base"
  debootstrap --variant=minbase bookworm "$cache/base" "$mirror" > "$work/debootstrap.log" 2>&1 ||
    { tail -n 20 "$work/debootstrap.log"; skip "debootstrap could not reach $mirror"; }
  touch "$cache/base/.complete"
fi
cp -a "$cache/base" "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$cache/archives/partial"
mount -t proc proc "$root/proc" && mounted+=("$root/proc")
mount --bind "$cache/archives" "$root/var/cache/apt/archives" &&
  mounted=("$root/var/cache/apt/archives" "${mounted[@]}")
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
in_root apt-get update -qq || fail "apt-get update in the chroot"
cp "$deb" "$root/tmp/dcgw.deb"

echo "== dpkg -i, apt-get -f install"
in_root dpkg -i /tmp/dcgw.deb || true  # its dependencies are not there yet
in_root apt-get -f install -y -qq --no-install-recommends > "$work/apt.log" 2>&1 ||
  { cat "$work/apt.log"; fail "apt-get -f install"; }
[ "$(in_root dpkg-query -W -f='${Status}' dcgw)" = "install ok installed" ] ||
  fail "dcgw is not installed"
in_root dpkg-query -W -f='${Conffiles}\n' dcgw | grep -q '/etc/dcgw/dcgw.json' ||
  fail "/etc/dcgw/dcgw.json is not a conffile"
in_root getent passwd dcgw | grep -q ':/var/lib/dcgw:/usr/sbin/nologin$' ||
  fail "no system user dcgw: $(in_root getent passwd dcgw)"
[ "$(in_root stat -c '%a %U %G' /var/lib/dcgw)" = "700 dcgw dcgw" ] ||
  fail "/var/lib/dcgw is $(in_root stat -c '%a %U %G' /var/lib/dcgw)"
[ -L "$root/etc/systemd/system/multi-user.target.wants/dcgw.service" ] ||
  fail "the unit is not enabled"
unit=$root/lib/systemd/system/dcgw.service
for line in Type=notify User=dcgw ProtectSystem=strict ProtectHome=true NoNewPrivileges=true \
  PrivateTmp=true ReadWritePaths=/var/lib/dcgw StateDirectory=dcgw StateDirectoryMode=0700 \
  Restart=on-failure 'ExecReload=/bin/kill -HUP $MAINPID' CapabilityBoundingSet=; do
  grep -qxF "$line" "$unit" || fail "the unit lacks $line"
done
nofile=$(sed -n 's/^LimitNOFILE=//p' "$unit")
[ "$nofile" -ge 65536 ] || fail "LimitNOFILE=$nofile"

if command -v systemd-analyze > /dev/null; then
  # The chroot has no systemd to verify against: the host's, with the unit's program path
  # pointing at the installed binary (verify checks that it is executable).
  echo "== systemd-analyze verify, security"
  mkdir -p "$work/unit"
  sed "s|/usr/bin/dcgw|$root/usr/bin/dcgw|" "$unit" > "$work/unit/dcgw.service"
  systemd-analyze verify "$work/unit/dcgw.service" > "$work/verify.txt" 2>&1 ||
    { cat "$work/verify.txt"; fail "systemd-analyze verify"; }
  cat "$work/verify.txt"
  ! grep -q . "$work/verify.txt" || fail "systemd-analyze verify complains"
  systemd-analyze security --offline=true "$work/unit/dcgw.service" > "$work/security.txt" 2>&1 ||
    true
  exposure=$(sed -n 's/.*Overall exposure level for dcgw.service: \([0-9.]*\).*/\1/p' \
    "$work/security.txt")
  echo "exposure $exposure"
  [ -z "$exposure" ] || awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }' ||
    fail "the unit's exposure is $exposure, more than 2.0: $(grep '✗' "$work/security.txt")"
fi

# systemd is not PID 1 here: the unit's own ExecStart line, as its User, on ports 0 (other
# tests may hold 7700 and 8080); the admin port is read back from its log.
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[ -n "$exec_start" ] || fail "no ExecStart in the unit"
start_serve() {  # LOG
  : > "$1"
  # shellcheck disable=SC2086  # the unit's command line, split as systemd splits it
  chroot "$root" env -i PATH=/usr/bin:/bin setpriv --reuid=dcgw --regid=dcgw --init-groups \
    --no-new-privs -- sh -c 'cd /var/lib/dcgw && umask 077 && exec "$@"' sh \
    $exec_start --uplink-port 0 --admin-port 0 --stats-seconds 0 2> "$1" &
  serve_pid=$!
  local i
  for i in $(seq 1 100); do
    port=$(sed -n 's|.*admin API on http://127.0.0.1:\([0-9]*\).*|\1|p' "$1")
    [ -n "$port" ] && return 0
    kill -0 "$serve_pid" 2> /dev/null || { cat "$1"; fail "dcgw serve ended at start"; }
    sleep 0.1
  done
  cat "$1"
  fail "dcgw serve did not start"
}
stop_serve() {
  kill -TERM "$serve_pid"
  local rc=0
  wait "$serve_pid" || rc=$?
  serve_pid=
  [ "$rc" -eq 0 ] || fail "dcgw serve exited $rc on SIGTERM"
}

echo "== first start"
start_serve "$work/serve1.err"
[ "$(curl -fsS "http://127.0.0.1:$port/healthz")" = "ok" ] || fail "/healthz"
[ "$(in_root stat -c '%U %a' /var/lib/dcgw/dcgw.db)" = "dcgw 600" ] ||
  fail "the store is $(in_root stat -c '%U %a' /var/lib/dcgw/dcgw.db)"
token=$(in_root setpriv --reuid=dcgw --regid=dcgw --init-groups \
  /usr/bin/dcgw token create --role admin --name deb-test --db /var/lib/dcgw/dcgw.db | tail -n 1)
[ -n "$token" ] || fail "dcgw token create"
curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/tokens" |
  grep -q deb-test || fail "the new token does not list itself"
stop_serve

echo "== second start: the store is still there"
start_serve "$work/serve2.err"
[ "$(curl -fsS "http://127.0.0.1:$port/healthz")" = "ok" ] || fail "/healthz after a restart"
curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/tokens" |
  grep -q deb-test || fail "the token made before the restart is gone"
stop_serve
grep -q 'no admin API token yet' "$work/serve2.err" && fail "the second start found no token"

echo "== apt-get purge"
in_root apt-get purge -y -qq dcgw > "$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "purge"; }
for f in /usr/bin/dcgw /etc/dcgw /lib/systemd/system/dcgw.service /var/lib/dcgw /var/log/dcgw \
  /usr/share/doc/dcgw /etc/systemd/system/multi-user.target.wants/dcgw.service; do
  [ ! -e "$root$f" ] && [ ! -L "$root$f" ] || fail "$f is left after the purge"
done
! in_root getent passwd dcgw > /dev/null || fail "the user dcgw is left after the purge"
! in_root getent group dcgw > /dev/null || fail "the group dcgw is left after the purge"
echo "PASS"
