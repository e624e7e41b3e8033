#!/usr/bin/env bash
# The launcher on a machine that lacks a Debian package: dpkg, apt-get and id are replaced by
# fakes on PATH, so the real machine is untouched. Run by `./cleave test`.
set -uo pipefail
HOME_DIR="$(cd "$(dirname "$0")/.." && pwd)"
. "$HOME_DIR/tests/checks.sh"

mkdir "$T/bin"
# dpkg-query as on a machine without python3-numpy and chromium: known packages listed, exit 1 for
# the unknown ones. Chromium is for tests only: other commands never install it.
cat >"$T/bin/dpkg-query" <<'FAKE'
#!/bin/sh
shift 2
rc=0
for p in "$@"; do
  if [ "$p" = python3-numpy ] || [ "$p" = chromium ]; then echo "dpkg-query: no packages found matching $p" >&2; rc=1
  else echo "$p install ok installed"; fi
done
exit $rc
FAKE
cat >"$T/bin/apt-get" <<'FAKE'
#!/bin/sh
echo "$*" >>"$FAKE_APT_LOG.raw"
while [ "$1" = -o ]; do shift 2; done
echo "$*" >>"$FAKE_APT_LOG"
[ "$1" = install ] && [ "${FAKE_APT_FAIL:-}" = 1 ] && { echo "E: Unable to locate package python3-numpy" >&2; exit 100; }
exit 0
FAKE
cat >"$T/bin/id" <<'FAKE'
#!/bin/sh
echo "${FAKE_UID:-0}"
FAKE
chmod +x "$T/bin/"*
run() { PATH="$T/bin:$PATH" FAKE_APT_LOG="$T/apt.log" "$HOME_DIR/cleave" --version >"$T/out" 2>"$T/err"; }

run; rc=$?
check "root: installs the missing package and goes on (exit $rc)" test $rc = 0
check "root: says what it installs" grep -q "installing Debian packages: python3-numpy" "$T/err"
check "root: apt-get install got exactly the missing package" grep -qx "install -y -qq python3-numpy" "$T/apt.log"
check "root: apt-get waits for another apt-get's lock instead of failing" grep -q "^-o DPkg::Lock::Timeout=[0-9]* install" "$T/apt.log.raw"
check "root: the command still ran" grep -q "cleave" "$T/out"

: >"$T/apt.log"
FAKE_APT_FAIL=1 run; rc=$?
check "failed apt-get: exit non-zero (exit $rc)" test $rc != 0
check "failed apt-get: apt's reason is shown" grep -q "Unable to locate package python3-numpy" "$T/err"
check "failed apt-get: says what to do" grep -q "could not install python3-numpy" "$T/err"

: >"$T/apt.log"
FAKE_UID=1000 run; rc=$?
check "non-root: goes on (exit $rc)" test $rc = 0
check "non-root: says the exact command" grep -q "sudo apt-get install -y python3-numpy" "$T/err"
check "non-root: apt-get not run" test ! -s "$T/apt.log"

finish "launcher"
