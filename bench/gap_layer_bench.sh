#!/usr/bin/env bash
# gap_layer_bench.sh: what do the toolchain file's wraps of wasi-libc's
# descriptor calls (support/devices.c) cost a program that never opens a
# device, and what does following a link across grants (support/links.c)
# cost an open()? Prints ratios; there is no target.
#
#   bash bench/gap_layer_bench.sh [PATH/TO/wasibuild]
#
# One C program, built twice (Release, -O2):
#   bare     with `wasibuild env`'s compiler and flags: no support library,
#            wasi-libc's calls go straight to the runtime;
#   wrapped  through the drop-in toolchain file: every read, write, seek,
#            close... asks the device table first.
# Timed in interleaved rounds (BENCH_RUNS, default 10; each round runs every
# command once, so a change in a shared machine's load falls on all alike),
# with a warm compiled-code cache:
#   calls    BENCH_CALLS (default 200000) 16-byte write()s and lseek()s to a
#            file in a granted directory (bare, wrapped);
#   direct   BENCH_OPENS (default 20000) open()/close() of a file in another
#            grant by its own path (wrapped);
#   linked   the same through an absolute link in the working directory,
#            which Wasmtime refuses and links.c resolves, then retries
#            (wrapped; bare cannot open it at all).
# Baselines: bare for calls, direct for linked, in the same run.
#
# The wasibuild binary (default build/dev/driver/wasibuild, with
# ../share/wasibuild) is used in place; wasibuild's home and compiled-code
# cache live in BENCH_OUT (default build/bench-gap-layer).
# Exits non-zero only when something cannot be built or run.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${BENCH_OUT:-"$REPO_ROOT/build/bench-gap-layer"}
WB=$(readlink -f -- "${1:-"$REPO_ROOT/build/dev/driver/wasibuild"}" 2>/dev/null || echo "${1:-}")
RUNS=${BENCH_RUNS:-10}
CALLS=${BENCH_CALLS:-200000}
OPENS=${BENCH_OPENS:-20000}

log() { printf '[gap_layer_bench] %s\n' "$*" >&2; }
die() { printf '[gap_layer_bench] error: %s\n' "$*" >&2; exit 1; }

[[ "$RUNS" =~ ^[1-9][0-9]*$ && "$CALLS" =~ ^[1-9][0-9]*$ && "$OPENS" =~ ^[1-9][0-9]*$ ]] ||
  die "BENCH_RUNS, BENCH_CALLS and BENCH_OPENS must be positive integers"
SHARE=$(dirname "$(dirname "$WB")")/share/wasibuild
[[ -x "$WB" && -f "$SHARE/cmake/wasi.cmake" ]] ||
  die "need an executable wasibuild with ../share/wasibuild/cmake/wasi.cmake next to it (got: ${WB:-nothing})"
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_start gap_layer_bench.sh

rm -rf "$OUT"
mkdir -p "$OUT/src" "$OUT/json" "$OUT/home" "$OUT/files" "$OUT/data" "$OUT/cwd"
export WASIBUILD_HOME="$OUT/home" WASIBUILD_CACHE_DIR="$OUT/code-cache"
echo "data" >"$OUT/data/input.txt"
ln -s "$OUT/data" "$OUT/cwd/linked"

cat >"$OUT/src/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.20)
project(gap C)
add_executable(wrapped io.c)
EOF
cat >"$OUT/src/io.c" <<'EOF'
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// io write FILE N: N writes and seeks; io open FILE N: N opens and closes.
int main(int argc, char** argv) {
  if (argc < 4) return 0;
  const long count = atol(argv[3]);
  if (strcmp(argv[1], "open") == 0) {
    for (long i = 0; i < count; ++i) {
      const int fd = open(argv[2], O_RDONLY);
      if (fd < 0 || close(fd) != 0) return 5;
    }
    return 0;
  }
  const int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return 1;
  static const char line[16] = "0123456789abcde";
  for (long i = 0; i < count; ++i) {
    if (write(fd, line, sizeof line) != (ssize_t)sizeof line) return 2;
    if (i % 4096 == 4095 && lseek(fd, 0, SEEK_SET) != 0) return 3;
  }
  return close(fd) == 0 ? 0 : 4;
}
EOF
log "building wrapped through the toolchain file, bare with wasibuild env"
{ cmake -G Ninja -S "$OUT/src" -B "$OUT/build" "-DCMAKE_TOOLCHAIN_FILE=$SHARE/cmake/wasi.cmake" \
    "-DWASIBUILD_EXECUTABLE=$WB" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_C_FLAGS_RELEASE=-O2" &&
    cmake --build "$OUT/build"; } >"$OUT/build.log" 2>&1 || die "build failed (log: $OUT/build.log)"
(
  eval "$("$WB" env)"
  # shellcheck disable=SC2086 # the flags are words
  $CC $CFLAGS -O2 "$OUT/src/io.c" -o "$OUT/build/bare.wasm" $LDFLAGS
) >>"$OUT/build.log" 2>&1 || die "bare build failed (log: $OUT/build.log)"

grants=(--dir "$OUT/files::/files" --dir-ro "$OUT/data::$OUT/data" --dir "$OUT/cwd::." --host-cwd)
for variant in bare wrapped; do
  module=$OUT/build/$variant.wasm
  (cd "$OUT/cwd" && "$WB" exec "${grants[@]}" -- "$module" write /files/warm 1) || die "$variant does not run"
  bench_command "$variant.calls" "$WB" exec "${grants[@]}" -- "$module" write "/files/$variant" "$CALLS"
done
module=$OUT/build/wrapped.wasm
(cd "$OUT/cwd" && "$WB" exec "${grants[@]}" -- "$module" open linked/input.txt 1) ||
  die "wrapped cannot open through the link"
bench_command direct.opens "$WB" exec "${grants[@]}" -- "$module" open "$OUT/data/input.txt" "$OPENS"
bench_command linked.opens "$WB" exec "${grants[@]}" -- "$module" open linked/input.txt "$OPENS"
log "timing $RUNS interleaved rounds"
cd "$OUT/cwd"
measure_interleaved "$RUNS" bare.calls wrapped.calls direct.opens linked.opens

ms() { awk -v s="$(tstat "$1" median)" 'BEGIN { printf "%.2f", s * 1000 }'; }
ratio() { awk -v a="$(tstat "$1" median)" -v b="$(tstat "$2" median)" 'BEGIN { printf "%.3f", a / b }'; }
per_us() {
  awk -v a="$(tstat "$1" median)" -v b="$(tstat "$2" median)" -v n="$3" 'BEGIN { printf "%.2f", (a - b) / n * 1e6 }'
}
echo "POSIX gap layer, $(date -u +%F), $(nproc) cores, load at start $LOAD_START, $RUNS rounds, medians"
printf '%-22s %10s %10s %8s\n' "" baseline measured ratio
printf '%-22s %7s ms %7s ms %8s\n' "calls: bare, wrapped" "$(ms bare.calls)" "$(ms wrapped.calls)" \
  "$(ratio wrapped.calls bare.calls)"
printf '%-22s %7s ms %7s ms %8s\n' "opens: direct, linked" "$(ms direct.opens)" "$(ms linked.opens)" \
  "$(ratio linked.opens direct.opens)"
echo "extra per open through a link: $(per_us linked.opens direct.opens "$OPENS") us"
