#!/usr/bin/env bash
# End-to-end test of the web UI: starts a demo server on a free local port and drives the
# tablet and the staff dashboard in Chromium (tests/e2e/flow.mjs), then the kitchen: stations
# and a fake network printer, the kitchen display, printer trouble (tests/e2e/kitchen.mjs),
# then every screen in Korean and English with axe-core and screenshots (tests/e2e/screens.mjs),
# then roles, shared terminals and PINs, a manager's approval, guests and moving tables
# (tests/e2e/roles.mjs), then the check, payments and the business day (tests/e2e/checkout.mjs),
# then an evening's rough edges and a fresh box's first run (tests/e2e/night.mjs), then stored
# scripts shown as text on every screen (tests/e2e/xss.mjs), then the System page's updates on a
# box of their own that trusts a key made for the test (tests/e2e/updates.mjs).
#
#   TABLEORDER_BIN  server binary (default target/debug/tableorder; this script builds nothing)
#   CHROMIUM        browser (default /usr/bin/chromium)
#   E2E_SHOTS       directory for screenshots (default: a new temporary directory)
#   E2E_ONLY        only these tests, e.g. E2E_ONLY=updates.mjs or E2E_ONLY="screens.mjs xss.mjs"
#                   (names separated by spaces or commas; default: all, in the order above)
#   CI=true         a missing prerequisite fails the run instead of skipping it
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${TABLEORDER_BIN:-$ROOT/target/debug/tableorder}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export CHROMIUM

cannot_run() {
  echo "e2e: cannot run: $*" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  echo "e2e: skipped" >&2
  exit 0
}

# Chromium (and a Korean font, so screenshots are legible) from Debian's packages.
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" != 0 ]; then
    cannot_run "$CHROMIUM is missing; install the chromium package (as root: apt-get install chromium)"
  fi
  command -v apt-get >/dev/null || cannot_run "$CHROMIUM is missing and apt-get is not available"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium || cannot_run "apt-get could not install chromium"
  DEBIAN_FRONTEND=noninteractive apt-get install -y fonts-nanum || echo "e2e: no Korean font installed; screenshots may show boxes" >&2
fi
[ -x "$CHROMIUM" ] || cannot_run "$CHROMIUM is still missing"
if ! dpkg -s fonts-nanum >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-nanum >/dev/null || echo "e2e: no Korean font installed; screenshots may show boxes" >&2
fi
# Japanese and Chinese (the tablet's other languages) need a CJK font of their own.
if ! dpkg -s fonts-noto-cjk >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null \
    || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; } \
    || echo "e2e: no Japanese/Chinese font installed; those screenshots may show boxes" >&2
fi
# Signed releases for the updates test (Debian's minisign).
if ! command -v minisign >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq minisign >/dev/null \
    || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq minisign >/dev/null; } \
    || echo "e2e: could not install minisign" >&2
fi
command -v node >/dev/null || cannot_run "node is missing"
command -v npm >/dev/null || cannot_run "npm is missing"
[ -x "$BIN" ] || cannot_run "$BIN not found; build it first (cargo build) or set TABLEORDER_BIN"

if [ ! -d "$HERE/node_modules/playwright-core" ] || [ ! -d "$HERE/node_modules/axe-core" ]; then
  (cd "$HERE" && npm ci --no-audit --no-fund) || cannot_run "npm ci failed in tests/e2e"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tableorder-e2e.XXXXXX")"
SHOTS="${E2E_SHOTS:-$(mktemp -d "${TMPDIR:-/tmp}/tableorder-e2e-shots.XXXXXX")}"
mkdir -p "$SHOTS"
export E2E_SHOTS="$SHOTS"
PID=""

cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT="$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')"
BASE="http://127.0.0.1:$PORT"

"$BIN" serve --demo --no-mdns --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" >"$WORK/server.log" 2>&1 &
PID=$!

ready=""
for _ in $(seq 1 100); do
  if ! kill -0 "$PID" 2>/dev/null; then
    echo "e2e: the server exited during start:" >&2
    cat "$WORK/server.log" >&2
    exit 1
  fi
  if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$BASE/healthz"; then
    ready=1
    break
  fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "e2e: the server did not answer /healthz within 10 s:" >&2
  cat "$WORK/server.log" >&2
  exit 1
fi

echo "e2e: server $BASE (pid $PID), screenshots in $SHOTS"
E2E_ONLY="${E2E_ONLY:-}"
ONLY=" ${E2E_ONLY//,/ } "
for name in $ONLY; do
  [ -f "$HERE/$name" ] || { echo "e2e: E2E_ONLY names $name, which is not a test here" >&2; exit 2; }
done
# Whether a test runs: every one unless E2E_ONLY names some.
want() { [ -z "${E2E_ONLY:-}" ] || [[ "$ONLY" == *" $1 "* ]]; }
status=0
if want flow.mjs; then
  echo "e2e: flow"
  node "$HERE/flow.mjs" "$BASE" || status=$?
fi
# The kitchen runs against the same server, after the guest flow.
if want kitchen.mjs; then
  echo "e2e: kitchen"
  node "$HERE/kitchen.mjs" "$BASE" || status=$?
fi
# Every screen in both languages (axe-core, screenshots, phone layouts), last.
if want screens.mjs; then
  echo "e2e: screens"
  node "$HERE/screens.mjs" "$BASE" || status=$?
fi
# Staff accounts, terminals, approvals, guests, moving tables and the audit log, after the rest
# (it adds staff and turns on the guests question, which it turns off again at the end).
if want roles.mjs; then
  echo "e2e: roles"
  node "$HERE/roles.mjs" "$BASE" || status=$?
fi
# The check, splits and payments with a fake receipt printer, the day's close and its report,
# last (it closes the business day; it puts checkout, end_when_paid and the printer back).
if want checkout.mjs; then
  echo "e2e: checkout"
  node "$HERE/checkout.mjs" "$BASE" || status=$?
fi
# An evening's rough edges (quick picks for calls, ending visits with open orders, the kitchen in
# an outage, …), last; it starts a fresh box of its own from the same binary for the first run.
if want night.mjs; then
  echo "e2e: night"
  node "$HERE/night.mjs" "$BASE" "$BIN" || status=$?
fi
# Stored scripts in every text staff and guests write show as text on every screen and on paper;
# on a box of its own from the same binary (its store's name is set at its first run).
if want xss.mjs; then
  echo "e2e: xss"
  node "$HERE/xss.mjs" "$BIN" || status=$?
fi
# The System page's updates: refused releases, one that fails its probation and is rolled back by
# itself, who sees the section; on a box of its own that trusts a key made here (minisign).
if want updates.mjs; then
  echo "e2e: updates"
  if command -v minisign >/dev/null; then
    node "$HERE/updates.mjs" "$BIN" || status=$?
  elif [ "${CI:-}" = "true" ]; then
    echo "e2e: updates: minisign is missing (apt-get install minisign)" >&2
    status=1
  else
    echo "e2e: updates: skipped, minisign is missing (apt-get install minisign)" >&2
  fi
fi
if [ "$status" != 0 ]; then
  echo "e2e: server log (last 40 lines):" >&2
  tail -n 40 "$WORK/server.log" >&2
fi
exit "$status"
