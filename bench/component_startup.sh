#!/usr/bin/env bash
# component_startup.sh: what does running a WASI 0.2 component cost at
# start-up, next to the same program as a core preview-1 module, in one run?
#
#   bash bench/component_startup.sh [PATH/TO/wasibuild]
#
# One hello-world C program, built twice with the same toolchain: for
# wasm32-wasip1 (a core module) and for wasm32-wasip2 (a component, linked by
# wasm-component-ld with the preview-1 adapter it needs). Both are run warm
# (their compiled code in the cache) by the same wasibuild, interleaved round
# by round (bench/lib.sh), and the ratio component/module printed. A third
# row runs the component with a network grant, which adds the engine's
# address check and the Landlock port rules.
#
# Needs a toolchain with wasm32-wasip2: BENCH_TOOLCHAIN_ARCHIVE (default:
# setup.sh's debian-llvm23.tar.gz in the download cache), installed into the
# bench's own home. Knobs: BENCH_OUT (default build/bench-component),
# BENCH_STARTUP_RUNS (default 40), BENCH_NO_HYPERFINE=1.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${BENCH_OUT:-"$REPO_ROOT/build/bench-component"}
WASIBUILD=$(readlink -f -- "${1:-"$REPO_ROOT/build/release/driver/wasibuild"}")
RUNS=${BENCH_STARTUP_RUNS:-40}
ARCHIVE=${BENCH_TOOLCHAIN_ARCHIVE:-"${XDG_CACHE_HOME:-$HOME/.cache}/wasibuild-dev/downloads/debian-llvm23.tar.gz"}

log() { printf '[component_startup] %s\n' "$*" >&2; }
die() { printf '[component_startup] error: %s\n' "$*" >&2; exit 1; }

[[ -x "$WASIBUILD" ]] || die "wasibuild binary not found or not executable: $WASIBUILD"
[[ -f "$ARCHIVE" ]] || die "no toolchain archive at $ARCHIVE (scripts/setup.sh assembles debian-llvm23)"
# shellcheck source=bench/lib.sh
source "$REPO_ROOT/bench/lib.sh"
bench_start component_startup.sh

rm -rf "$OUT"
mkdir -p "$OUT/json" "$OUT/home"
export WASIBUILD_HOME=$OUT/home
"$WASIBUILD" toolchain install --from "$ARCHIVE" --name bench --allow-unpinned --quiet
TC=$("$WASIBUILD" toolchain path bench)
printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' >"$OUT/hello.c"
for target in wasm32-wasip1 wasm32-wasip2; do
  "$TC/bin/clang" --target=$target "--sysroot=$TC/share/wasi-sysroot" -O2 "$OUT/hello.c" -o "$OUT/hello-$target.wasm" ||
    die "cannot build hello for $target"
done
head -c 8 "$OUT/hello-wasm32-wasip2.wasm" | od -An -tx1 | grep -q '0d 00 01 00' || die "the wasip2 build is no component"
for target in wasm32-wasip1 wasm32-wasip2; do  # warm the compiled-code cache, and check the output
  [[ "$("$WASIBUILD" exec "$OUT/hello-$target.wasm")" == hello ]] || die "hello-$target.wasm does not print hello"
done

bench_command module "$WASIBUILD" exec "$OUT/hello-wasm32-wasip1.wasm"
bench_command component "$WASIBUILD" exec "$OUT/hello-wasm32-wasip2.wasm"
bench_command granted "$WASIBUILD" exec --allow-tcp-connect 127.0.0.1:9 "$OUT/hello-wasm32-wasip2.wasm"
log "warm start-up, $RUNS interleaved rounds"
measure_interleaved "$RUNS" module component granted

ms() { awk -v s="$1" 'BEGIN { printf "%.2f", s * 1000 }'; }
MODULE=$(tstat module median)
COMPONENT=$(tstat component median)
GRANTED=$(tstat granted median)
echo "warm start-up, hello world (median wall time, $RUNS rounds, $(date -u +%F), $(nproc) cores, load $LOAD_START):"
echo "  core module (wasm32-wasip1)        $(ms "$MODULE") ms"
echo "  component (wasm32-wasip2)          $(ms "$COMPONENT") ms   ratio $(awk -v a="$COMPONENT" -v b="$MODULE" 'BEGIN { printf "%.2f", a / b }')x the module"
echo "  component + --allow-tcp-connect    $(ms "$GRANTED") ms   ratio $(awk -v a="$GRANTED" -v b="$MODULE" 'BEGIN { printf "%.2f", a / b }')x the module"
echo "  sizes: module $(stat -c %s "$OUT/hello-wasm32-wasip1.wasm") bytes, component $(stat -c %s "$OUT/hello-wasm32-wasip2.wasm") bytes"
