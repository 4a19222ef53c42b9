#!/usr/bin/env bash
# Makes signed releases of the box for the boards restaurants use: builds the aarch64 and
# armv7 binaries (release profile) and signs each with minisign (Debian's `minisign`), the
# trusted comment naming what it is: "tableorder VERSION TARGET". A box checks it with
# `tableorder update verify --binary FILE` before installing it.
#
#   scripts/sign-release.sh SECRET_KEY [OUT_DIR]      (default OUT_DIR: dist/)
#   SIGN_ONLY=path/to/binary TARGET=triple VERSION=x.y.z scripts/sign-release.sh SECRET_KEY OUT_DIR
#     signs a binary built elsewhere (the test suite uses this).
#   MINISIGN_PASSWORD_FILE   a file holding the key's password, for keys that have one
set -euo pipefail
cd "$(dirname "$0")/.."

KEY=${1:?usage: scripts/sign-release.sh SECRET_KEY [OUT_DIR]}
OUT=${2:-dist}
mkdir -p "$OUT"
command -v minisign >/dev/null 2>&1 || { echo "sign-release: minisign is missing (apt-get install minisign)" >&2; exit 1; }
if [ -z "${VERSION:-}" ]; then
    VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
fi

sign() { # binary target
    local bin=$1 target=$2 out="$OUT/tableorder-$VERSION-$2"
    cp "$bin" "$out.partial" && sync "$out.partial" && mv "$out.partial" "$out"
    minisign -S -s "$KEY" -m "$out" -x "$out.minisig" -t "tableorder $VERSION $target" \
        <"${MINISIGN_PASSWORD_FILE:-/dev/null}" >/dev/null
    echo "$out"
}

if [ -n "${SIGN_ONLY:-}" ]; then
    sign "$SIGN_ONLY" "${TARGET:?TARGET names the target triple of the binary}"
    exit 0
fi
for target in aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf; do
    rustup target add "$target" >/dev/null
    case $target in
        aarch64*) linker=aarch64-linux-gnu-gcc ;;
        armv7*) linker=arm-linux-gnueabihf-gcc ;;
    esac
    env_target=$(echo "$target" | tr 'a-z-' 'A-Z_')
    env "CARGO_TARGET_${env_target}_LINKER=$linker" "CC_$(echo "$target" | tr '-' '_')=$linker" \
        cargo build --locked --release --target "$target" --bin tableorder
    sign "target/$target/release/tableorder" "$target"
done
