#!/usr/bin/env bash
# Property-based API test: schemathesis (PyPI) generates requests from the server's own
# OpenAPI document (/api/v1/openapi.json) and checks every answer: no 5xx, the documented
# content type, and a body (every SSE event included) that matches its documented schema.
# Runs once with a table token (the tablet's routes) and once with a staff token (the
# dashboard's and the public routes) against a demo server on a free local port.
#
#   TABLEORDER_BIN   server binary (default target/debug/tableorder; this script builds nothing)
#   ST_SECONDS       time budget per pass (default 60)
#   CI=true          a missing prerequisite fails the run instead of skipping it
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${TABLEORDER_BIN:-$ROOT/target/debug/tableorder}"
SECONDS_PER_PASS="${ST_SECONDS:-60}"
ST_VERSION="4.32.5"

cannot_run() {
  echo "schemathesis: cannot run: $*" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  echo "schemathesis: skipped" >&2
  exit 0
}

[ -x "$BIN" ] || cannot_run "$BIN not found; build it first (cargo build) or set TABLEORDER_BIN"
if ! command -v st >/dev/null 2>&1 || [ "$(st --version 2>/dev/null | awk '{print $NF}')" != "$ST_VERSION" ]; then
  python3 -m pip install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION" \
    || cannot_run "pip could not install schemathesis"
fi
command -v st >/dev/null 2>&1 || cannot_run "the st command is not on PATH after installing schemathesis"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tableorder-st.XXXXXX")"
PID=""
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
TABLEORDER_LOGINS_PER_MINUTE=0 TABLEORDER_BOX_LOGINS_PER_MINUTE=0 TABLEORDER_ORDERS_PER_MINUTE=0 \
  "$BIN" serve --demo --no-mdns --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do
  curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 "$PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.1
done

token() {
  curl -fsS -H 'content-type: application/json' -d "$2" "$BASE/api/v1/auth/$1/login" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
TABLE_TOKEN="$(token table '{"store_id":"demo","table_number":1,"password":"1234"}')"
STAFF_TOKEN="$(token admin '{"store_id":"demo","username":"admin","password":"demo1234"}')"

TABLE_ROUTES='^/api/v1/(menu|orders|calls|events)$'
status=0
# One worker: with two, schemathesis's threads can parse Python source at the same time, and
# CPython 3.11 keeps the AST converter's recursion counter per interpreter, not per thread
# ("SystemError: AST constructor recursion depth mismatch", a crash of the tool itself).
run() {
  echo "schemathesis: $1 pass (${SECONDS_PER_PASS}s)"
  st run "$BASE/api/v1/openapi.json" \
    -H "Authorization: Bearer $2" \
    --checks not_a_server_error,response_schema_conformance,content_type_conformance \
    --max-time "$SECONDS_PER_PASS" --request-timeout 5 --workers 1 \
    "${@:3}" || status=1
}
# The tablet first: the staff pass changes table passwords, which ends table logins.
run table "$TABLE_TOKEN" --include-path-regex "$TABLE_ROUTES"
run staff "$STAFF_TOKEN" --exclude-path-regex "$TABLE_ROUTES"

if grep -q ' ERROR ' "$WORK/server.log"; then
  echo "schemathesis: the server logged errors:" >&2
  grep ' ERROR ' "$WORK/server.log" | head -20 >&2
  status=1
fi
exit "$status"
