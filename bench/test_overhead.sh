#!/usr/bin/env bash
# test_overhead.sh: what does running a CTest test under wasibuild cost, per
# test, against running the same test natively? Prints ratios and the extra
# milliseconds per test; there is no target.
#
#   bash bench/test_overhead.sh [PATH/TO/wasibuild]
#
# Generates a small C project (BENCH_TESTS tests, default 50; each test is
# its own program that hashes a 64 KiB buffer 16 times, about a millisecond
# of work natively, prints one line and exits 0), adds wasibuild.toml with
# `wasibuild init`, and builds it three ways, all Release:
#   native     plain `cmake -G Ninja` with the host compiler (cc);
#   toolchain  plain `cmake -G Ninja -DCMAKE_TOOLCHAIN_FILE=<share>/cmake/wasi.cmake`;
#   wb test    `wasibuild build --release` (build/<target>/release).
# Then, in interleaved rounds (BENCH_RUNS, default 3; one run of each command
# per round, so a change in the machine's load falls on all of them alike),
# times a serial `ctest` of all tests:
#   native                       ctest in the native build;
#   toolchain, cold / warm       ctest in the toolchain-file build, first with
#                                the compiled-code cache emptied just before
#                                (every module is compiled by Cranelift), then
#                                again with it warm;
#   wasibuild test, cold / warm  `wasibuild test --release --no-build`, the same.
# Reports the median wall time of each, per test, the ratio to native and the
# extra ms per test; cold - warm per test is the compile cost of one module.
# Emptying the cache (rm -rf of one directory) is inside the cold timings.
#
# The wasibuild binary (default build/dev/driver/wasibuild, with
# ../share/wasibuild) is copied into BENCH_OUT (default
# build/bench-test-overhead) first; wasibuild's home and its compiled-code
# cache (WASIBUILD_CACHE_DIR) live there too, so the run uses no shared state.
#
# Environment knobs: BENCH_OUT, BENCH_TESTS, BENCH_RUNS, BENCH_NO_HYPERFINE=1.
# Exits non-zero only when something cannot be built or a test fails.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${BENCH_OUT:-"$REPO_ROOT/build/bench-test-overhead"}
SRC_WB=$(readlink -f -- "${1:-"$REPO_ROOT/build/dev/driver/wasibuild"}" 2>/dev/null || echo "${1:-}")
TESTS=${BENCH_TESTS:-50}
RUNS=${BENCH_RUNS:-3}

log() { printf '[test_overhead] %s\n' "$*" >&2; }
die() { printf '[test_overhead] error: %s\n' "$*" >&2; exit 1; }

missing=$(for t in cmake ninja ctest cc node awk; do command -v "$t" >/dev/null || printf ' %s' "$t"; done)
[[ -z "$missing" ]] || die "not on PATH:$missing"
[[ "$TESTS" =~ ^[1-9][0-9]*$ && "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_TESTS and BENCH_RUNS must be positive integers"
SRC_SHARE=$(dirname "$(dirname "$SRC_WB")")/share/wasibuild
[[ -x "$SRC_WB" && -f "$SRC_SHARE/cmake/wasi.cmake" ]] ||
  die "need an executable wasibuild with ../share/wasibuild/cmake/wasi.cmake next to it (got: ${SRC_WB:-nothing})"
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_start test_overhead.sh

rm -rf "$OUT"
mkdir -p "$OUT/prefix/bin" "$OUT/prefix/share" "$OUT/json" "$OUT/home" "$OUT/proj/tests"
cp "$SRC_WB" "$OUT/prefix/bin/wasibuild"
cp "$(dirname "$SRC_WB")"/libwasibuild-installer*.so "$OUT/prefix/bin/" 2>/dev/null || true
cp -r "$SRC_SHARE" "$OUT/prefix/share/wasibuild"
WB=$OUT/prefix/bin/wasibuild
TOOLCHAIN_FILE=$OUT/prefix/share/wasibuild/cmake/wasi.cmake
CACHE=$OUT/code-cache
export WASIBUILD_HOME="$OUT/home" WASIBUILD_CACHE_DIR="$CACHE"
unset WASIBUILD_TOOLCHAIN

# ----------------------------------------------------------- the project ----
PROJ=$OUT/proj
{
  echo 'cmake_minimum_required(VERSION 3.20)'
  echo 'project(overhead LANGUAGES C)'
  echo 'enable_testing()'
  echo "foreach(i RANGE 1 $TESTS)"
  echo '  add_executable(t${i} tests/t${i}.c)'
  echo '  add_test(NAME t${i} COMMAND t${i})'
  echo '  set_tests_properties(t${i} PROPERTIES PASS_REGULAR_EXPRESSION "^test ${i}: [0-9a-f]+")'
  echo 'endforeach()'
} >"$PROJ/CMakeLists.txt"
for ((i = 1; i <= TESTS; i++)); do
  # Each program differs (its seed), so each is its own module in the cache.
  cat >"$PROJ/tests/t$i.c" <<EOF
#include <stdint.h>
#include <stdio.h>

static unsigned char buffer[65536];

int main(void) {
  uint32_t hash = 2166136261u ^ $i;
  for (unsigned round = 0; round < 16; round++) {
    for (size_t k = 0; k < sizeof buffer; k++) {
      buffer[k] = (unsigned char)(k * 31u + round + $i);
      hash = (hash ^ buffer[k]) * 16777619u;
    }
  }
  printf("test $i: %08x\n", (unsigned)hash);
  return 0;
}
EOF
done
(cd "$PROJ" && "$WB" init >"$OUT/init.log" 2>&1) || die "wasibuild init failed: $(cat "$OUT/init.log")"

# ---------------------------------------------------------------- builds ----
# seconds since T0
since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
log "native build (cc)"
t0=$(date +%s%N)
{ cmake -G Ninja -S "$PROJ" -B "$OUT/native" -DCMAKE_BUILD_TYPE=Release && cmake --build "$OUT/native" -j2; } \
  >"$OUT/native-build.log" 2>&1 || die "native build failed (log: $OUT/native-build.log)"
BUILD_NATIVE=$(since "$t0")
log "wasm build, plain cmake with the toolchain file"
t0=$(date +%s%N)
{ cmake -G Ninja -S "$PROJ" -B "$OUT/wasm" "-DCMAKE_TOOLCHAIN_FILE=$TOOLCHAIN_FILE" "-DWASIBUILD_EXECUTABLE=$WB" \
    -DCMAKE_BUILD_TYPE=Release && cmake --build "$OUT/wasm" -j2; } \
  >"$OUT/wasm-build.log" 2>&1 || die "toolchain-file build failed (log: $OUT/wasm-build.log)"
BUILD_WASM=$(since "$t0")
log "wasm build, wasibuild build --release"
t0=$(date +%s%N)
(cd "$PROJ" && "$WB" build --release -j 2) >"$OUT/wb-build.log" 2>&1 \
  || die "wasibuild build failed (log: $OUT/wb-build.log)"
BUILD_WB=$(since "$t0")

# ------------------------------------------------------- timed commands ----
# Each is a script, so the cold ones can empty the cache first.
write_script() { # write_script NAME DIR COMMAND...
  local name=$1 dir=$2
  shift 2
  {
    echo '#!/bin/sh'
    [[ $name == *cold ]] && printf 'rm -rf %q\n' "$CACHE"
    printf 'cd %q && exec' "$dir"
    printf ' %q' "$@"
    echo
  } >"$OUT/$name.sh"
  chmod +x "$OUT/$name.sh"
  bench_command "$name" "$OUT/$name.sh"
}
CTEST=(ctest --timeout 120 -j1)
write_script native "$OUT/native" "${CTEST[@]}"
write_script toolchain.cold "$OUT/wasm" "${CTEST[@]}"
write_script toolchain.warm "$OUT/wasm" "${CTEST[@]}"
write_script wbtest.cold "$PROJ" "$WB" test --release --no-build
write_script wbtest.warm "$PROJ" "$WB" test --release --no-build
NAMES=(native toolchain.cold toolchain.warm wbtest.cold wbtest.warm)

# Every side must pass all tests before anything is timed.
for name in native toolchain.warm wbtest.warm; do
  "$OUT/$name.sh" >"$OUT/$name-check.log" 2>&1 || die "$name: tests fail (log: $OUT/$name-check.log)"
  grep -q "100% tests passed, 0 tests failed out of $TESTS" "$OUT/$name-check.log" \
    || die "$name: not all $TESTS tests passed (log: $OUT/$name-check.log)"
done
MODULES=$(find "$CACHE" -type f -name "*.entry" 2>/dev/null | wc -l)

log "timing ctest, $RUNS interleaved rounds of: ${NAMES[*]}"
measure_interleaved "$RUNS" "${NAMES[@]}"

# ---------------------------------------------------------------- report ----
NATIVE=$(tstat native median)
echo
echo "## wasibuild test overhead per test, vs native"
echo
echo "wasibuild: $SRC_WB ($("$WB" --version 2>/dev/null | head -n 1), sha256 $(sha256sum "$WB" | cut -c1-16)...)"
echo "wasm toolchain: $("$WB" toolchain which 2>/dev/null | head -n 1)"
echo "native compiler: $(cc --version | head -n 1); all sides Release"
echo "machine: nproc $(nproc), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "load average: $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end"
echo "timing: $( ((HAVE_HYPERFINE)) && hyperfine --version || echo 'date +%s%N loop'), serial ctest of $TESTS tests" \
  "(one program each, ~1 ms of work natively), median of $RUNS interleaved rounds"
echo "build (configure + compile, -j2, once): native ${BUILD_NATIVE} s, toolchain file ${BUILD_WASM} s," \
  "wasibuild build ${BUILD_WB} s; compiled-code cache entries after the checks: $MODULES (both wasm builds)"
echo
printf '  %-32s %9s %12s %8s %14s\n' "side" "ctest s" "per test ms" ratio "extra ms/test"
row() { # row LABEL NAME
  awk -v label="$1" -v t="$(tstat "$2" median)" -v n="$NATIVE" -v k="$TESTS" 'BEGIN {
    printf "  %-32s %9.3f %12.2f %8.2f %14.2f\n", label, t, t / k * 1000, t / n, (t - n) / k * 1000 }'
}
row "native (cc)" native
row "toolchain file, cold cache" toolchain.cold
row "toolchain file, warm cache" toolchain.warm
row "wasibuild test, cold cache" wbtest.cold
row "wasibuild test, warm cache" wbtest.warm
awk -v c="$(tstat toolchain.cold median)" -v w="$(tstat toolchain.warm median)" \
  -v bc="$(tstat wbtest.cold median)" -v bw="$(tstat wbtest.warm median)" -v k="$TESTS" 'BEGIN {
  printf "  warm code cache saves per test (cold - warm): toolchain file %.2f ms, wasibuild test %.2f ms\n",
    (c - w) / k * 1000, (bc - bw) / k * 1000
  printf "  wasibuild test vs ctest in the toolchain-file build, warm: %+.2f ms per test\n", (bw - w) / k * 1000 }'
echo
echo "raw data: $OUT/json/*.json"
exit 0
