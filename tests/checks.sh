# What the launcher's tests share (sourced, not run: `./cleave test` runs tests/*_test.sh): a
# temporary directory $T, removed on exit, and check, which counts failures in FAILS; finish
# reports them and sets the exit status.
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
FAILS=0
check() { # description, command...
  local what=$1; shift
  if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; FAILS=$((FAILS + 1)); fi
}
finish() { # name of the test
  [ $FAILS = 0 ] || { echo "$1: $FAILS check(s) failed"; exit 1; }
  echo "$1: all checks passed"
}
