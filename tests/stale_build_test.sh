#!/usr/bin/env bash
# The launcher's Java build after a source file went: `mvn package` alone would leave the file's
# old output in target/classes, so the launcher cleans first then, and only then. Runs a copy of
# the launcher in a small tree with mvn, java, make and dpkg-query replaced by fakes on PATH. Run
# by `./cleave test`.
set -uo pipefail
HOME_DIR="$(cd "$(dirname "$0")/.." && pwd)"
. "$HOME_DIR/tests/checks.sh"

mkdir -p "$T/bin" "$T/co/mod/src/main/resources"
cat >"$T/bin/mvn" <<'FAKE'
#!/bin/sh
echo "$*" >>"$FAKE_MVN_LOG"
case " $* " in *" package "*) echo "[INFO] BUILD SUCCESS" ;; esac
exit 0
FAKE
cat >"$T/bin/dpkg-query" <<'FAKE'
#!/bin/sh
shift 2
for p in "$@"; do echo "$p install ok installed"; done
FAKE
printf '#!/bin/sh\nexit 0\n' >"$T/bin/java"
printf '#!/bin/sh\nexit 0\n' >"$T/bin/make"
chmod +x "$T/bin/"*
cp "$HOME_DIR/cleave" "$T/co/cleave"
echo "<project/>" >"$T/co/pom.xml"
echo x >"$T/co/mod/src/main/resources/kept.txt"
echo y >"$T/co/mod/src/main/resources/moved.txt"
run() { : >"$T/mvn.log"; PATH="$T/bin:$PATH" FAKE_MVN_LOG="$T/mvn.log" "$T/co/cleave" --version >"$T/out" 2>"$T/err"; }
later() { touch -d "@$(( $(date +%s) + $1 ))" "${@:2}"; }

run; rc=$?
check "first build: runs (exit $rc)" test $rc = 0
check "first build: mvn package" grep -q "package" "$T/mvn.log"
check "first build: nothing to clean" test "$(grep -c clean "$T/mvn.log")" = 0

later 5 "$T/co/mod/src/main/resources/kept.txt"
run
check "a changed source: built again" grep -q "package" "$T/mvn.log"
check "a changed source: no clean" test "$(grep -c clean "$T/mvn.log")" = 0

rm "$T/co/mod/src/main/resources/moved.txt"
later 10 "$T/co/mod/src/main/resources" "$T/co/mod/src/main/resources/kept.txt"
run
check "a removed source: cleans, then builds" test "$(sed -n '1s/.* clean$/clean/p;2s/.*package.*/package/p' "$T/mvn.log" | tr '\n' ' ')" = "clean package "
check "a removed source: says why it cleans" grep -q "sources were removed or moved" "$T/err"

later 15 "$T/co/mod/src/main/resources/kept.txt"
run
check "the build after that: no clean again" test "$(grep -c clean "$T/mvn.log")" = 0

finish "stale build"
