#!/usr/bin/env bash
# Runs the whole test suite. Installs what the suite needs when it is missing
# (Debian packages need root; elsewhere those tests skip with a printed reason,
# except under CI=true where everything must run).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
# The chain hub's test runs the real engines: PostgreSQL 15, Redis, HAProxy.
[ -x /usr/lib/postgresql/15/bin/initdb ] || need_apt+=(postgresql-15)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v haproxy >/dev/null 2>&1 || need_apt+=(haproxy)
# The hub's TLS test makes a certificate authority with openssl.
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# The power-cut test mounts a FUSE file system (fusermount3 when the kernel mount is refused).
command -v fusermount3 >/dev/null 2>&1 || need_apt+=(fuse3)
# Updates: releases are signed with minisign, stripped with binutils' strip, and the box is
# socket-activated as systemd does it with systemd-socket-activate.
command -v minisign >/dev/null 2>&1 || need_apt+=(minisign)
command -v strip >/dev/null 2>&1 || need_apt+=(binutils)
command -v systemd-socket-activate >/dev/null 2>&1 || need_apt+=(systemd)
python3 -c 'import zeroconf' >/dev/null 2>&1 || need_pip=1
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing: ${need_apt[*]}"
    # Packages with services (postgresql, redis, haproxy) must not start them: the tests
    # start their own in temp directories.
    policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy=1
    fi
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
    if [ -n "$policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
  else
    echo "missing ${need_apt[*]} (not root): the tests that need them will skip"
  fi
fi
if [ "${need_pip:-0}" = 1 ]; then
  python3 -m pip install --quiet --disable-pip-version-check zeroconf || echo "could not install python zeroconf: the mDNS test will skip"
fi

if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --lib --bins --tests --no-fail-fast
else
  cargo test --lib --bins --tests
fi

cargo build --quiet --bins --examples
# The soak holds a thousand streams: both ends need descriptors for them.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# Property-based API test from the OpenAPI document (schemathesis, PyPI).
TABLEORDER_BIN="$PWD/target/debug/tableorder" ST_SECONDS="${ST_SECONDS:-45}" scripts/schemathesis.sh

# A short soak: orders, 1,000 streams and logins; RSS, descriptors and threads must not
# grow after the warm-up (10 minutes by hand: see docs/PERFORMANCE.md).
target/debug/examples/soak --secs "${SOAK_SECS:-60}" --bin target/debug/tableorder

# The web UI in a real browser (tablet and staff dashboard against a demo server).
TABLEORDER_BIN="$PWD/target/debug/tableorder" tests/e2e/run.sh

# The chain hub's HQ page in a real browser: PostgreSQL 15, Redis, two hub processes and two
# boxes of its own (a minute at most).
TABLEORDER_BIN="$PWD/target/debug/tableorder" tests/e2e/hq.sh
