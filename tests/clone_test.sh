#!/usr/bin/env bash
# A checkout where instances' own uid cannot look: under a 0700 directory inside /tmp (which
# containers replace with their private /tmp), with a space in its path. The server started from
# there must run a function deployed with the CLI. Run by `./cleave test` after the build.
set -uo pipefail
HOME_DIR="$(cd "$(dirname "$0")/.." && pwd)"
D=$(mktemp -d /tmp/cleave-clone.XXXXXX) # mode 0700
C="$D/my checkout"
SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then
    kill "$SERVER" 2>/dev/null
    wait "$SERVER" 2>/dev/null
  fi
  rm -rf "$D"
}
trap cleanup EXIT
fail() { echo "FAIL - $*"; [ -f "$D/server.err" ] && tail -n 30 "$D/server.err"; exit 1; }

mkdir "$C"
# The working tree with its builds (times kept, so nothing is rebuilt), without data or git.
tar -C "$HOME_DIR" --exclude=./.git --exclude='./.cleave-data*' -cf - . | tar -C "$C" -xf - \
  || fail "copy the checkout"
[ "$(stat -c %a "$D")" = 700 ] || fail "the copy's parent is not 0700"

"$C/cleave" server --port 0 --data-dir "$D/data" >"$D/server.out" 2>"$D/server.err" &
SERVER=$!
for _ in $(seq 600); do
  grep -q "listening on" "$D/server.out" && break
  kill -0 "$SERVER" 2>/dev/null || fail "the server exited before listening"
  sleep 0.2
done
URL=$(grep -o 'http://[0-9.:]*' "$D/server.out" | head -1)
[ -n "$URL" ] || fail "no 'listening on' line from the server"
export CLEAVE_API_URL="$URL"

mkdir "$D/fns" && cd "$D/fns" || fail "make a function directory"
"$C/cleave" init --runtime python hello >/dev/null || fail "cleave init"
cd hello || fail "init made no hello/"
"$C/cleave" deploy --app clone --create-app >"$D/deploy.out" 2>&1 || { cat "$D/deploy.out"; fail "cleave deploy"; }
answer=$(echo '{"name":"Clone"}' | "$C/cleave" invoke clone hello 2>&1)
echo "$answer" | grep -q '"Hello Clone"' || fail "invoke answered: $answer"
echo "ok   - a checkout under a 0700 /tmp directory with a space in its path runs a function"
