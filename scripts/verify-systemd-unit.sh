#!/bin/sh
# Verify systemd/tableorder.service and systemd/tableorder-hub@.service offline (no
# running systemd needed):
#   1. `systemd-analyze verify` must report nothing;
#   2. `systemd-analyze security --offline=true` must rate it MAX_EXPOSURE
#      (default 2.0) or lower.
#
# Usage: scripts/verify-systemd-unit.sh [/absolute/path/to/tableorder]
#
# The unit names /usr/bin/tableorder and verify checks that it is
# executable. With an argument, ExecStart is pointed at that binary in a
# temporary copy of the unit; without one, /usr/bin/tableorder is used if it
# is installed, else a throwaway dummy executable in the temporary directory
# (nothing is ever written outside it). Installs the `systemd` package with
# apt-get when systemd-analyze is missing. Needs systemd >= 250 (offline
# security analysis); Debian 12 has 252.
set -eu

MAX_EXPOSURE=${MAX_EXPOSURE:-2.0}
here=$(cd "$(dirname "$0")" && pwd)
unit_src=${UNIT:-$here/../systemd/tableorder.service}
unit_name=tableorder.service

fail() { echo "verify-systemd-unit: FAIL: $*" >&2; exit 1; }


if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "systemd-analyze missing; installing the systemd package" >&2
    sudo=
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null
fi

version=$(systemd-analyze --version | awk 'NR==1 {print $2}')
echo "systemd-analyze version: $version"
case $version in
    ''|*[!0-9]*) fail "cannot parse the systemd version" ;;
esac
[ "$version" -ge 250 ] || fail "systemd $version is too old for offline security analysis (need >= 250)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

# ExecStart must stay an absolute path; rewrite it when not checking the
# installed binary.
if [ $# -ge 1 ]; then
    binary=$1
    case $binary in
        /*) ;;
        *) fail "binary path must be absolute: $binary" ;;
    esac
    [ -x "$binary" ] || fail "not an executable file: $binary"
elif [ -x /usr/bin/tableorder ]; then
    binary=/usr/bin/tableorder
else
    binary=$tmp/tableorder
    printf '#!/bin/sh\nexit 0\n' > "$binary"
    chmod 755 "$binary"
    echo "note: /usr/bin/tableorder not installed; checking against a dummy executable"
fi
echo "binary: $binary"

export SYSTEMD_COLORS=0 SYSTEMD_PAGER=cat SYSTEMD_LOG_COLOR=0

# check_unit SOURCE NAME EXPECTED_EXECSTART_ARGS
check_unit() {
    src=$1 unit_name=$2 args=$3
    [ -f "$src" ] || fail "unit file not found: $src"
    sed -e "s|^ExecStart=/usr/bin/tableorder |ExecStart=$binary |" \
        -e "s|^ExecStopPost=-/usr/bin/tableorder |ExecStopPost=-$binary |" "$src" > "$tmp/$unit_name"
    # The socket unit the appliance's service receives its port from.
    cp "$here/../systemd/tableorder.socket" "$tmp/tableorder.socket"
    grep -q "^ExecStart=$binary $args\$" "$tmp/$unit_name" || fail "ExecStart line not found in $src"

    echo "== systemd-analyze verify $unit_name"
    # verify exits 0 on some warnings, so any output at all counts as failure.
    if ! out=$(systemd-analyze verify --man=no "$tmp/$unit_name" 2>&1); then
        printf '%s\n' "$out" >&2
        fail "systemd-analyze verify failed"
    fi
    if [ -n "$out" ]; then
        printf '%s\n' "$out" >&2
        fail "systemd-analyze verify printed warnings"
    fi
    echo "verify: OK (no warnings)"

    echo "== systemd-analyze security --offline=true $unit_name"
    if ! sec=$(systemd-analyze security --no-pager --offline=true "$tmp/$unit_name" 2>&1); then
        printf '%s\n' "$sec" >&2
        fail "systemd-analyze security failed"
    fi
    line=$(printf '%s\n' "$sec" | grep 'Overall exposure level' || true)
    [ -n "$line" ] || { printf '%s\n' "$sec" >&2; fail "no overall exposure level in the output"; }
    score=$(printf '%s\n' "$line" | sed -n 's/.*: \([0-9][0-9]*\.[0-9]\).*/\1/p')
    [ -n "$score" ] || fail "cannot parse the score from: $line"
    # Show what still counts against the unit.
    printf '%s\n' "$sec" | grep '^✗' || true
    echo "$line"
    echo "exposure score: $score (maximum allowed: $MAX_EXPOSURE)"
    if awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s + 0 <= m + 0) }'; then
        echo "security: OK"
    else
        fail "$unit_name: exposure $score is above $MAX_EXPOSURE"
    fi
}

check_unit "$unit_src" "$unit_name" "serve"
echo "== systemd-analyze verify tableorder.socket"
out=$(cd "$tmp" && systemd-analyze verify --man=no "$tmp/tableorder.socket" 2>&1) || { printf '%s\n' "$out" >&2; fail "tableorder.socket does not verify"; }
[ -z "$out" ] || { printf '%s\n' "$out" >&2; fail "tableorder.socket: systemd-analyze verify printed warnings"; }
echo "verify: OK (no warnings)"
# The hub's template unit, as one of its instances (its EnvironmentFile is required, so
# a placeholder is pointed at; the real one lives in /etc/tableorder/hub.env).
hub_src=${HUB_UNIT:-$here/../systemd/tableorder-hub@.service}
printf 'TABLEORDER_HUB_DATABASE_URL=postgres://tableorder_hub@127.0.0.1/tableorder_hub\n' > "$tmp/hub.env"
sed "s|^EnvironmentFile=/etc/tableorder/hub.env|EnvironmentFile=$tmp/hub.env|" "$hub_src" > "$tmp/hub-src.service"
check_unit "$tmp/hub-src.service" "tableorder-hub@8091.service" "hub serve --listen 127.0.0.1:%i"
