#!/usr/bin/env bash
# descriptor_bench.sh: what does the runner's descriptor table (dup(),
# runner/src/descriptors.hpp) cost a module that uses it, next to the same
# module without it? Prints ratios; there is no target.
#
#   bash bench/descriptor_bench.sh [PATH/TO/wasibuild]
#
# One C program, built twice through the drop-in toolchain file (Release):
#   plain   as written;
#   table   the same, plus one dup()/close() at start, so the module imports
#           wasibuild's fd_dup and the runner installs the table (every
#           preview 1 call that names a descriptor then goes through it and
#           through the trampoline module that calls Wasmtime's function).
# Each is timed twice, in interleaved rounds (BENCH_RUNS, default 10; each
# round runs every command once, so a change in a shared machine's load falls
# on all alike), with a warm compiled-code cache:
#   start   the program exits at once: start-up, including the trampoline's
#           compilation and instantiation;
#   calls   BENCH_CALLS (default 200000) 16-byte write()s and lseek()s to a
#           file in a granted directory: the cost per call.
# The baseline is `plain` in the same run.
#
# The wasibuild binary (default build/dev/driver/wasibuild, with
# ../share/wasibuild) is used in place; wasibuild's home and compiled-code
# cache live in BENCH_OUT (default build/bench-descriptors).
# Exits non-zero only when something cannot be built or run.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${BENCH_OUT:-"$REPO_ROOT/build/bench-descriptors"}
WB=$(readlink -f -- "${1:-"$REPO_ROOT/build/dev/driver/wasibuild"}" 2>/dev/null || echo "${1:-}")
RUNS=${BENCH_RUNS:-10}
CALLS=${BENCH_CALLS:-200000}

log() { printf '[descriptor_bench] %s\n' "$*" >&2; }
die() { printf '[descriptor_bench] error: %s\n' "$*" >&2; exit 1; }

[[ "$RUNS" =~ ^[1-9][0-9]*$ && "$CALLS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS and BENCH_CALLS must be positive integers"
SHARE=$(dirname "$(dirname "$WB")")/share/wasibuild
[[ -x "$WB" && -f "$SHARE/cmake/wasi.cmake" ]] ||
  die "need an executable wasibuild with ../share/wasibuild/cmake/wasi.cmake next to it (got: ${WB:-nothing})"
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_start descriptor_bench.sh

rm -rf "$OUT"
mkdir -p "$OUT/src" "$OUT/json" "$OUT/home" "$OUT/files"
export WASIBUILD_HOME="$OUT/home" WASIBUILD_CACHE_DIR="$OUT/code-cache"

cat >"$OUT/src/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.20)
project(descriptors C)
add_executable(plain io.c)
add_executable(table io.c)
target_compile_definitions(table PRIVATE USE_TABLE)
EOF
cat >"$OUT/src/io.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char** argv) {
#ifdef USE_TABLE
  close(dup(1));
#endif
  if (argc < 3) return 0;
  const long calls = atol(argv[2]);
  const int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return 1;
  static const char line[16] = "0123456789abcde";
  for (long i = 0; i < calls; ++i) {
    if (write(fd, line, sizeof line) != (ssize_t)sizeof line) return 2;
    if (i % 4096 == 4095 && lseek(fd, 0, SEEK_SET) != 0) return 3;
  }
  return close(fd) == 0 ? 0 : 4;
}
EOF
log "building both variants through the toolchain file"
{ cmake -G Ninja -S "$OUT/src" -B "$OUT/build" "-DCMAKE_TOOLCHAIN_FILE=$SHARE/cmake/wasi.cmake" \
    "-DWASIBUILD_EXECUTABLE=$WB" -DCMAKE_BUILD_TYPE=Release && cmake --build "$OUT/build"; } \
  >"$OUT/build.log" 2>&1 || die "build failed (log: $OUT/build.log)"

for variant in plain table; do
  module=$OUT/build/$variant.wasm
  "$WB" exec --dir "$OUT/files::/files" -- "$module" /files/warm 1 || die "$variant does not run"
  bench_command "$variant.start" "$WB" exec -- "$module"
  bench_command "$variant.calls" "$WB" exec --dir "$OUT/files::/files" -- "$module" "/files/$variant" "$CALLS"
done
log "timing $RUNS interleaved rounds"
measure_interleaved "$RUNS" plain.start table.start plain.calls table.calls

ms() { awk -v s="$(tstat "$1" median)" 'BEGIN { printf "%.2f", s * 1000 }'; }
ratio() { awk -v a="$(tstat "$1" median)" -v b="$(tstat "$2" median)" 'BEGIN { printf "%.3f", a / b }'; }
per_call_ns() {
  awk -v a="$(tstat "$1" median)" -v b="$(tstat "$2" median)" -v n="$CALLS" -v s="$(tstat "$3" median)" \
    -v t="$(tstat "$4" median)" 'BEGIN { printf "%.0f", ((a - s) - (b - t)) / (n * 1.0) * 1e9 }'
}
echo "descriptor table, $(date -u +%F), $(nproc) cores, load at start $LOAD_START, $RUNS rounds, medians"
printf '%-7s %10s %10s %8s\n' "" plain table "table/plain"
printf '%-7s %8s ms %8s ms %8s\n' start "$(ms plain.start)" "$(ms table.start)" "$(ratio table.start plain.start)"
printf '%-7s %8s ms %8s ms %8s\n' calls "$(ms plain.calls)" "$(ms table.calls)" "$(ratio table.calls plain.calls)"
echo "extra per call (write or lseek, start-up subtracted): $(per_call_ns table.calls plain.calls table.start plain.start) ns"
