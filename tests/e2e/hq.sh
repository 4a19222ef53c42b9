#!/usr/bin/env bash
# Browser test of the chain hub's HQ page (/hq): starts, in a temporary directory on
# 127.0.0.1 with free ports, PostgreSQL 15 and Redis of its own, two hub processes sharing
# them, and two boxes linked to the hub (the demo store on hub process 1, a second store on
# hub process 2), then drives the HQ page of hub process 2 in Chromium (tests/e2e/hq.mjs),
# so that box 1's orders reach the page's live feed across processes through Redis; then a third
# box whose texts (and the reason its last update failed) hold stored scripts, which the HQ page
# shows as text (tests/e2e/hq-xss.mjs).
#
#   TABLEORDER_BIN  binary (default target/debug/tableorder, built with the hub; this script builds nothing)
#   CHROMIUM        browser (default /usr/bin/chromium)
#   E2E_SHOTS       directory for screenshots (default: a new temporary directory)
#   CI=true         a missing prerequisite fails the run instead of skipping it
#
# A release signed with a key made here (minisign, scripts/sign-release.sh) is stored at the hub;
# hq.mjs rolls it out to box 2's store, whose box does not trust that key and refuses it.
#
# PostgreSQL runs as the postgres user (initdb/pg_ctl through runuser; as ourselves when not
# root), never as the system service. Everything started here is stopped on exit, by PID.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${TABLEORDER_BIN:-$ROOT/target/debug/tableorder}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
PG_BIN=/usr/lib/postgresql/15/bin
export CHROMIUM

say() { echo "hq-e2e: $*" >&2; }
cannot_run() {
  say "cannot run: $*"
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  say "skipped"
  exit 0
}

# ---------- prerequisites (Debian packages, installed when root) ----------

need_apt=()
[ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] || need_apt+=(postgresql-15)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
[ -x "$CHROMIUM" ] || need_apt+=(chromium fonts-nanum)
command -v minisign >/dev/null 2>&1 || need_apt+=(minisign)
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    cannot_run "missing ${need_apt[*]} (as root: apt-get install ${need_apt[*]})"
  fi
  command -v apt-get >/dev/null 2>&1 || cannot_run "missing ${need_apt[*]} and apt-get is not available"
  say "installing: ${need_apt[*]}"
  # Packages with services (postgresql, redis) must not start them: this test starts its own.
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy=1
  fi
  installed=1
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null || installed=""
  if [ -n "$policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
  [ -n "$installed" ] || cannot_run "apt-get could not install ${need_apt[*]}"
fi
[ -x "$PG_BIN/initdb" ] || cannot_run "PostgreSQL 15 is still missing ($PG_BIN)"
command -v redis-server >/dev/null 2>&1 || cannot_run "redis-server is still missing"
[ -x "$CHROMIUM" ] || cannot_run "$CHROMIUM is still missing"
command -v minisign >/dev/null 2>&1 || cannot_run "minisign is still missing"
command -v node >/dev/null 2>&1 || cannot_run "node is missing"
[ -x "$BIN" ] || cannot_run "$BIN not found; build it first (cargo build) or set TABLEORDER_BIN"
"$BIN" hub --help >/dev/null 2>&1 || cannot_run "$BIN was built without the hub"
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || cannot_run "there is no postgres user (it comes with the postgresql-15 package)"
  as_pg() { runuser -u postgres -- "$@"; }
else
  # PostgreSQL refuses to run as root only: anyone else runs it as themselves.
  as_pg() { "$@"; }
fi
if [ ! -d "$HERE/node_modules/playwright-core" ] || [ ! -f "$HERE/node_modules/axe-core/axe.min.js" ]; then
  command -v npm >/dev/null 2>&1 || cannot_run "npm is missing"
  (cd "$HERE" && npm ci --no-audit --no-fund) || cannot_run "npm ci failed in tests/e2e"
fi

# ---------- everything in one temporary directory, stopped on exit ----------

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tableorder-hq-e2e.XXXXXX")"
# PostgreSQL's data directory must belong to the user it runs as.
PGDIR="$WORK/pg"
mkdir "$PGDIR"
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$PGDIR"
  chmod 711 "$WORK" # postgres passes through to its own directory, sees nothing else
fi
SHOTS="${E2E_SHOTS:-$(mktemp -d "${TMPDIR:-/tmp}/tableorder-hq-shots.XXXXXX")}"
mkdir -p "$SHOTS"
export E2E_SHOTS="$SHOTS"
PIDS=()
PG_STARTED=""

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ -n "$PG_STARTED" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PGDIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

show_logs() {
  local f
  for f in "$WORK"/*.log "$PGDIR/log"; do
    [ -f "$f" ] || continue
    say "--- $(basename "$f") (last 30 lines) ---"
    tail -n 30 "$f" >&2
  done
}
fail() {
  say "$*"
  show_logs
  exit 1
}

# Free ports, all different: listeners held open together, then closed.
read -r PG_PORT REDIS_PORT HUB1_PORT HUB2_PORT BOX1_PORT BOX2_PORT < <(node -e '
  const net = require("net");
  const s = Array.from({ length: 6 }, () => net.createServer());
  Promise.all(s.map((x) => new Promise((r) => x.listen(0, "127.0.0.1", r)))).then(() => {
    console.log(s.map((x) => x.address().port).join(" "));
    s.forEach((x) => x.close());
  });')

# Waits until a URL answers 2xx (or the process behind it exits).
wait_http() {
  local url="$1" pid="$2" what="$3" i
  for i in $(seq 1 300); do
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then fail "$what exited during start"; fi
    if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$url"; then
      return 0
    fi
    sleep 0.1
  done
  fail "$what did not answer $url within 30 s"
}
wait_port() {
  local port="$1" pid="$2" what="$3" i
  for i in $(seq 1 200); do
    if ! kill -0 "$pid" 2>/dev/null; then fail "$what exited during start"; fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  fail "$what did not listen on $port within 10 s"
}

t0=$SECONDS

# PostgreSQL 15: a cluster of its own (trust on loopback only).
as_pg "$PG_BIN/initdb" -A trust -U postgres --no-sync -E UTF8 --no-locale -D "$PGDIR/data" >"$WORK/initdb.log" 2>&1 ||
  fail "initdb failed"
PG_STARTED=1
as_pg "$PG_BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -t 60 \
  -o "-p $PG_PORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null 2>&1 || fail "pg_ctl start failed"
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres tableorder >>"$WORK/initdb.log" 2>&1 || fail "createdb failed"
DB="postgres://postgres@127.0.0.1:$PG_PORT/tableorder"

# Redis: no persistence, in the foreground of a background job.
mkdir "$WORK/redis"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no --dir "$WORK/redis" \
  >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
wait_port "$REDIS_PORT" "$!" "redis-server"
REDIS="redis://127.0.0.1:$REDIS_PORT"

# The hub's schema, an HQ user, a token for each box.
export TABLEORDER_LOG=warn
"$BIN" hub migrate --database-url "$DB" >>"$WORK/hub-cli.log" 2>&1 || fail "hub migrate failed"
HQ_USER=hq
HQ_PASSWORD="head-office-$RANDOM$RANDOM"
TABLEORDER_HUB_PASSWORD="$HQ_PASSWORD" "$BIN" hub user add --username "$HQ_USER" --database-url "$DB" \
  >>"$WORK/hub-cli.log" 2>&1 || fail "hub user add failed"
STORE2=gangnam
TOKEN1="$("$BIN" hub box add --store demo --name "box 1" --database-url "$DB" 2>>"$WORK/hub-cli.log")" ||
  fail "hub box add (demo) failed"
TOKEN2="$("$BIN" hub box add --store "$STORE2" --name "box 2" --database-url "$DB" 2>>"$WORK/hub-cli.log")" ||
  fail "hub box add ($STORE2) failed"

# A release for hq.mjs to roll out: a small script (never run: the boxes refuse it before),
# signed as tableorder $RELEASE for this machine with a key the boxes do not trust.
RELEASE=9.9.9
mkdir "$WORK/release"
minisign -G -W -p "$WORK/release/key.pub" -s "$WORK/release/key" >"$WORK/release.log" 2>&1 || fail "minisign -G failed"
printf '#!/bin/sh\necho "tableorder %s"\n' "$RELEASE" >"$WORK/release/tableorder"
chmod 755 "$WORK/release/tableorder"
RELEASE_FILE="$(SIGN_ONLY="$WORK/release/tableorder" TARGET="$(uname -m)-unknown-linux-gnu" VERSION="$RELEASE" \
  "$ROOT/scripts/sign-release.sh" "$WORK/release/key" "$WORK/release/out" 2>>"$WORK/release.log")" || fail "sign-release.sh failed"
"$BIN" hub release add "$RELEASE_FILE" --signature "$RELEASE_FILE.minisig" --database-url "$DB" >>"$WORK/hub-cli.log" 2>&1 ||
  fail "hub release add failed"

# Two hub processes on the same PostgreSQL and Redis.
for n in 1 2; do
  port_var="HUB${n}_PORT"
  "$BIN" hub serve --listen "127.0.0.1:${!port_var}" --database-url "$DB" --redis-url "$REDIS" >"$WORK/hub$n.log" 2>&1 &
  PIDS+=($!)
  eval "HUB${n}_PID=$!"
done
HUB1="http://127.0.0.1:$HUB1_PORT"
HUB2="http://127.0.0.1:$HUB2_PORT"
wait_http "$HUB1/healthz" "$HUB1_PID" "hub process 1"
wait_http "$HUB2/healthz" "$HUB2_PID" "hub process 2"

# Box 1: the demo store, sending to hub process 1. Box 2: a store made by `store create`
# (its tables and menu come through the staff API in hq.mjs), sending to hub process 2.
BOX_PASSWORD=demo1234
TABLEORDER_ADMIN_PASSWORD="$BOX_PASSWORD" "$BIN" store create --id "$STORE2" --name "강남점" --admin admin \
  --data-dir "$WORK/box2" >"$WORK/box2-create.log" 2>&1 || fail "store create failed"
start_box() {
  local n="$1" port="$2" hub="$3" token="$4"
  shift 4
  TABLEORDER_HUB_URL="$hub" TABLEORDER_HUB_TOKEN="$token" \
    TABLEORDER_ORDERS_PER_MINUTE=0 TABLEORDER_LOGINS_PER_MINUTE=0 TABLEORDER_BOX_LOGINS_PER_MINUTE=0 \
    TABLEORDER_BACKUP_INTERVAL_HOURS=0 TABLEORDER_LOG=info \
    "$BIN" serve --no-mdns --listen "127.0.0.1:$port" --data-dir "$WORK/box$n" "$@" >"$WORK/box$n.log" 2>&1 &
  PIDS+=($!)
  eval "BOX${n}_PID=$!"
}
start_box 1 "$BOX1_PORT" "$HUB1" "$TOKEN1" --demo
start_box 2 "$BOX2_PORT" "$HUB2" "$TOKEN2"
BOX1="http://127.0.0.1:$BOX1_PORT"
BOX2="http://127.0.0.1:$BOX2_PORT"
wait_http "$BOX1/healthz" "$BOX1_PID" "box 1"
wait_http "$BOX2/healthz" "$BOX2_PID" "box 2"
say "up in $((SECONDS - t0)) s: hub $HUB1 + $HUB2 (PostgreSQL :$PG_PORT, Redis :$REDIS_PORT), boxes $BOX1 (demo) + $BOX2 ($STORE2); screenshots in $SHOTS"

status=0
HQ_HUB="$HUB2" HQ_OTHER_HUB="$HUB1" HQ_BOX1="$BOX1" HQ_BOX2="$BOX2" HQ_STORE2="$STORE2" \
  HQ_USER="$HQ_USER" HQ_PASSWORD="$HQ_PASSWORD" HQ_BOX_PASSWORD="$BOX_PASSWORD" \
  HQ_BIN="$BIN" HQ_DATABASE_URL="$DB" HQ_RELEASE="$RELEASE" \
  node "$HERE/hq.mjs" || status=$?

# Stored scripts on the HQ page (tests/e2e/hq-xss.mjs): box 3, started only now (hq.mjs counts
# two stores), its store named with a script, sending to the page's hub process.
if [ "$status" = 0 ]; then
  STORE3=xss
  STORE3_NAME="$(cd "$HERE" && node --input-type=module -e 'import { F } from "./xss-payloads.mjs"; process.stdout.write(F.store);')" ||
    fail "cannot read the payloads"
  read -r BOX3_PORT < <(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
  TABLEORDER_ADMIN_PASSWORD="$BOX_PASSWORD" "$BIN" store create --id "$STORE3" --name "$STORE3_NAME" --admin admin \
    --data-dir "$WORK/box3" >"$WORK/box3-create.log" 2>&1 || fail "store create ($STORE3) failed"
  TOKEN3="$("$BIN" hub box add --store "$STORE3" --name "box 3" --database-url "$DB" 2>>"$WORK/hub-cli.log")" ||
    fail "hub box add ($STORE3) failed"
  # Box 3 says its last update failed for a reason holding a script: a release on probation
  # that stopped (its reason as the box's guard recorded it), which the box rolls back at start.
  mkdir -p "$WORK/box3/releases"
  (cd "$HERE" && node --input-type=module -e '
    import { UPDATE_ERROR } from "./xss-payloads.mjs";
    const probation = { to: "0.1.1", from: null, since_ms: 0, failure: UPDATE_ERROR };
    process.stdout.write(JSON.stringify({ phase: "probation", probation, changed_at_ms: 0 }));') \
    >"$WORK/box3/releases/state.json" || fail "cannot write box 3's update state"
  start_box 3 "$BOX3_PORT" "$HUB2" "$TOKEN3"
  BOX3="http://127.0.0.1:$BOX3_PORT"
  wait_http "$BOX3/healthz" "$BOX3_PID" "box 3"
  HQ_HUB="$HUB2" HQ_BOX3="$BOX3" HQ_STORE3="$STORE3" HQ_USER="$HQ_USER" HQ_PASSWORD="$HQ_PASSWORD" \
    HQ_BOX_PASSWORD="$BOX_PASSWORD" node "$HERE/hq-xss.mjs" || status=$?
fi
if [ "$status" != 0 ]; then show_logs; fi
say "done in $((SECONDS - t0)) s"
exit "$status"
