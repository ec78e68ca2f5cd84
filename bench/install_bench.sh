#!/usr/bin/env bash
# install_bench.sh: `wasibuild toolchain install` of a >100 MB archive from a
# loopback HTTP server, against the same steps done by hand in the same run:
# `curl -o`, `sha256sum -c`, then `tar x`.
#
#   bash bench/install_bench.sh [PATH/TO/wasibuild]
#
# The archive is in WASI SDK layout (bin/clang, share/wasi-sysroot with a
# libc.a) padded with incompressible data to ~110 MB. Its clang is a stub
# that only answers --version, so the capability probes fail fast and the
# comparison measures the pipeline (download, verify, unpack, rename), not
# clang. Target: ratio <= 1.1. A benchmark, not a test: it always exits 0
# unless something cannot run.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WASIBUILD=$(readlink -f -- "${1:-$REPO_ROOT/build/dev/driver/wasibuild}")
RUNS=${BENCH_RUNS:-5}
WORK="$REPO_ROOT/build/bench-install"
export NO_PROXY=127.0.0.1,localhost
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY

log() { printf '[install_bench] %s\n' "$*" >&2; }

make_archive() {
  local tree="$WORK/tree/wasi-sdk-bench"
  rm -rf "$WORK/tree" && mkdir -p "$tree/bin" "$tree/share/wasi-sysroot/lib/wasm32-wasi" \
    "$tree/share/wasi-sysroot/include/wasm32-wasi" "$tree/share/padding"
  printf '#!/bin/sh\n[ "$1" = --version ] && echo "clang version 0.0.0 (bench stub)" && exit 0\nexit 1\n' > "$tree/bin/clang"
  cp "$tree/bin/clang" "$tree/bin/clang++"
  chmod 755 "$tree/bin/clang" "$tree/bin/clang++"
  printf '!<arch>\n' > "$tree/share/wasi-sysroot/lib/wasm32-wasi/libc.a"
  echo '/* stub */' > "$tree/share/wasi-sysroot/include/wasm32-wasi/stdio.h"
  for i in $(seq 1 11); do head -c $((10 << 20)) /dev/urandom > "$tree/share/padding/blob-$i"; done
  # Many small files too, as a real SDK has (headers).
  for i in $(seq 1 2000); do echo "header $i" > "$tree/share/wasi-sysroot/include/wasm32-wasi/h$i.h"; done
  tar -C "$WORK/tree" -czf "$WORK/serve/sdk.tar.gz" wasi-sdk-bench
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

time_ms() {  # runs "$@" RUNS times after a prepare step in $PREPARE, prints the median in ms
  local samples=()
  for _ in $(seq 1 "$RUNS"); do
    eval "$PREPARE"
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s%N)
    samples+=($(((end - start) / 1000000)))
  done
  printf '%s\n' "${samples[@]}" | median
}

mkdir -p "$WORK/serve"
log "making a ~110 MB archive in WASI SDK layout"
make_archive
SIZE=$(stat -c %s "$WORK/serve/sdk.tar.gz")
HASH=$(sha256sum "$WORK/serve/sdk.tar.gz" | cut -d' ' -f1)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$WORK/serve" "$PORT" >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
URL="http://127.0.0.1:$PORT/sdk.tar.gz"

by_hand() {
  curl -sf -o "$WORK/hand/sdk.tar.gz" "$URL" &&
    echo "$HASH  $WORK/hand/sdk.tar.gz" | sha256sum -c --quiet &&
    mkdir -p "$WORK/hand/out" && tar -xzf "$WORK/hand/sdk.tar.gz" -C "$WORK/hand/out"
}
with_wasibuild() {
  WASIBUILD_HOME="$WORK/home" "$WASIBUILD" toolchain install --from "$URL" --sha256 "$HASH" --name bench -q
}

# Check once that both really work before timing them.
rm -rf "$WORK/hand" "$WORK/home" && mkdir -p "$WORK/hand" && by_hand
with_wasibuild || { log "wasibuild install failed"; exit 1; }
[ -f "$WORK/home/data/toolchains/bench/wasibuild-toolchain.toml" ] || { log "no toolchain installed"; exit 1; }

log "timing $RUNS runs each"
PREPARE='rm -rf "$WORK/hand" && mkdir -p "$WORK/hand"'
HAND=$(time_ms by_hand)
PREPARE='rm -rf "$WORK/home"'
TOOL=$(time_ms with_wasibuild)
RATIO=$(awk -v a="$TOOL" -v b="$HAND" 'BEGIN { printf "%.2f", a / b }')
VERDICT=$(awk -v r="$RATIO" 'BEGIN { print (r <= 1.1) ? "PASS" : "MISS" }')

printf '\narchive: %.1f MB over loopback, %s runs each (median)\n' "$(awk -v s="$SIZE" 'BEGIN{print s/1e6}')" "$RUNS"
printf '%-44s %8s ms\n' "curl -o + sha256sum -c + tar x" "$HAND"
printf '%-44s %8s ms\n' "wasibuild toolchain install --from URL" "$TOOL"
printf 'ratio wasibuild / by hand: %s  (target <= 1.1: %s)\n' "$RATIO" "$VERDICT"
rm -rf "$WORK/hand" "$WORK/home"
