#!/usr/bin/env bash
# Cross-builds tableorder for aarch64 (Raspberry Pi, 64-bit OS) with Debian's
# cross-compiler and runs a real smoke test of that binary under qemu-aarch64:
# start with the demo store, /healthz, staff and table login, the menu, an order
# (and its idempotent retry), the order on the staff list, then SIGTERM -> exit 0.
#
# Usage: scripts/cross-smoke.sh [PROFILE]
#   PROFILE: cargo profile to build with (default "smoke": release without LTO,
#   quick enough for CI; "release" builds what ships).
#
# Installs what it needs when missing (apt-get: gcc-aarch64-linux-gnu,
# libc6-dev-arm64-cross, qemu-user, curl, python3; rustup: the target).
# The server listens on 127.0.0.1 only, with mDNS off.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${1:-smoke}
TARGET=aarch64-unknown-linux-gnu
SYSROOT=/usr/aarch64-linux-gnu

log() { echo "cross-smoke: $*"; }
fail() { echo "cross-smoke: FAIL: $*" >&2; exit 1; }

# --- tools -----------------------------------------------------------------
need=()
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || need+=(gcc-aarch64-linux-gnu)
[ -e "$SYSROOT/include/stdio.h" ] || need+=(libc6-dev-arm64-cross)
command -v qemu-aarch64 >/dev/null 2>&1 || command -v qemu-aarch64-static >/dev/null 2>&1 || need+=(qemu-user)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ "${#need[@]}" -gt 0 ]; then
    log "installing ${need[*]}"
    sudo=
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if ! rustup target list --installed | grep -qx "$TARGET"; then
    log "adding the Rust target $TARGET"
    rustup target add "$TARGET"
fi
QEMU=$(command -v qemu-aarch64 || command -v qemu-aarch64-static)

# --- build -----------------------------------------------------------------
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
started=$(date +%s)
cargo build --locked --profile "$PROFILE" --target "$TARGET" --bin tableorder
build_s=$(( $(date +%s) - started ))
case $PROFILE in
    dev|test) dir=debug ;;
    *) dir=$PROFILE ;;
esac
BIN=target/$TARGET/$dir/tableorder
[ -x "$BIN" ] || fail "no binary at $BIN"
if command -v aarch64-linux-gnu-readelf >/dev/null 2>&1; then
    aarch64-linux-gnu-readelf -h "$BIN" | grep -q AArch64 || fail "$BIN is not an AArch64 executable"
fi
size=$(stat -c %s "$BIN")
log "built $BIN ($PROFILE profile) in ${build_s} s, $size bytes"

# --- smoke run under qemu ---------------------------------------------------
tmp=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

run() { "$QEMU" -L "$SYSROOT" "$BIN" "$@"; }
run --version

env -u NOTIFY_SOCKET -u WATCHDOG_USEC NO_COLOR=1 TABLEORDER_LOG=info \
    "$QEMU" -L "$SYSROOT" "$BIN" serve --demo --no-mdns --listen 127.0.0.1:0 --data-dir "$tmp/data" \
    >"$tmp/stdout.log" 2>"$tmp/server.log" &
pid=$!
show_log() { echo "--- server log" >&2; cat "$tmp/server.log" >&2 || true; }

# The port comes from the "ready" line (addr=127.0.0.1:PORT).
port=
for _ in $(seq 1 600); do
    port=$(sed -n 's/.*ready.*addr=127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$tmp/server.log" | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || { show_log; fail "the server exited before it was ready"; }
    sleep 0.2
done
[ -n "$port" ] || { show_log; fail "the server was not ready within 120 s"; }
base=http://127.0.0.1:$port
log "server ready at $base (pid $pid)"

# request METHOD PATH [TOKEN] [BODY] [EXTRA CURL ARGS...]: prints the body, then
# the status code on the last line.
request() {
    local method=$1 path=$2 token=${3:-} body=${4:-}
    shift 4 || shift $#
    local args=(--noproxy '*' -sS -X "$method" -w '\n%{http_code}' --max-time 30)
    [ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
    [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data "$body")
    curl "${args[@]}" "$@" "$base$path"
}
# expect STATUS RESPONSE: checks the status, prints the body.
expect() {
    local want=$1 resp=$2
    local got=${resp##*$'\n'}
    local body=${resp%$'\n'*}
    [ "$got" = "$want" ] || { show_log; fail "expected HTTP $want, got $got: $body"; }
    printf '%s' "$body"
}
json() { python3 -c 'import json, sys; v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[int(k)] if k.isdigit() else v[k]
print(v)' "$1"; }

health=$(expect 200 "$(request GET /healthz)")
[ "$(printf '%s' "$health" | json status)" = ok ] || fail "healthz: $health"
log "healthz: $health"

admin=$(expect 200 "$(request POST /api/v1/auth/admin/login '' '{"store_id":"demo","username":"admin","password":"demo1234"}')" | json token)
table=$(expect 200 "$(request POST /api/v1/auth/table/login '' '{"store_id":"demo","table_number":3,"password":"1234"}')" | json token)
log "staff and table logged in"

menu=$(expect 200 "$(request GET /api/v1/menu "$table")")
# The first item that offers options, with the first available choice of each group that
# needs one: the order's total says the options were priced on ARM too.
plan=$(printf '%s' "$menu" | python3 -c 'import json, sys
menu = json.load(sys.stdin)
items = [i for c in menu["categories"] for i in c["items"] if i["available"]]
item = next((i for i in items if i["option_groups"]), items[0])
chosen = []
for g in item["option_groups"]:
    chosen += [o for o in g["options"] if o["available"]][: g["min"]]
unit = max(0, item["price"] + sum(o["price_delta"] for o in chosen))
line = {"menu_item_id": item["id"], "quantity": 2, "option_ids": [o["id"] for o in chosen], "note": "덜 맵게"}
print(json.dumps({"items": [line]}, ensure_ascii=False))
print(unit * 2)')
order_body=$(printf '%s\n' "$plan" | sed -n 1p)
expected_total=$(printf '%s\n' "$plan" | sed -n 2p)
log "menu read; ordering $order_body (total $expected_total)"

key=smoke-$$-$(date +%s)
order=$(expect 201 "$(request POST /api/v1/orders "$table" "$order_body" -H "Idempotency-Key: $key")")
order_id=$(printf '%s' "$order" | json id)
[ "$(printf '%s' "$order" | json total)" = "$expected_total" ] || fail "wrong total: $order"
[ "$(printf '%s' "$order" | json items.0.note)" = "덜 맵게" ] || fail "the note is missing: $order"
again=$(expect 200 "$(request POST /api/v1/orders "$table" "$order_body" -H "Idempotency-Key: $key")")
[ "$(printf '%s' "$again" | json id)" = "$order_id" ] || fail "the retry made another order: $again"
log "order $order_id placed (retry answered with the same order)"

orders=$(expect 200 "$(request GET /api/v1/admin/orders "$admin")")
printf '%s' "$orders" | python3 -c 'import json, sys
orders = json.load(sys.stdin)
ids = [o["id"] for o in orders]
sys.exit(0 if ids.count(int(sys.argv[1])) == 1 and len(ids) == 1 else 1)' "$order_id" \
    || fail "order $order_id is not on the staff list exactly once: $orders"
log "the staff list shows order $order_id"

# --- stop ------------------------------------------------------------------
kill -TERM "$pid"
for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
done
kill -0 "$pid" 2>/dev/null && { show_log; fail "still running 30 s after SIGTERM"; }
rc=0
wait "$pid" || rc=$?
pid=
[ "$rc" -eq 0 ] || { show_log; fail "exit status $rc after SIGTERM"; }
grep -q "stopped" "$tmp/server.log" || { show_log; fail "no clean stop in the log"; }
log "SIGTERM: exited 0"
log "OK (aarch64, $PROFILE profile, build ${build_s} s)"
