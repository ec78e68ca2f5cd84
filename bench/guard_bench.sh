#!/usr/bin/env bash
# guard_bench.sh: what does `exec --dir-build` (a test's working directory
# with its build files kept read-only, docs/testing.md) cost per run, next to
# a plain `--dir` grant of the same directory?
#
#   bash bench/guard_bench.sh [PATH/TO/wasibuild] [BUILD_DIR...]
#
# Default wasibuild: build/dev/driver/wasibuild; default build directories:
# the compatibility suite's build trees under build/dev/tests/compat/*/build
# (run `ctest -L compat` first) plus build/dev itself, a large tree. Each run
# executes a C++ hello world (warm compiled-code cache) with its working
# directory granted one way or the other: `--dir`, `--dir-build` (name
# rules only, as with Makefile generators) and, where the directory is the
# top of a Ninja build tree, `--dir-build --build-root` (the build graph
# too, with its cached list warm: what every test but the first pays).
#
# A benchmark, not a test: it prints the extra milliseconds per run and the
# ratio, and exits non-zero only if something cannot be built or run.
# Knobs: BENCH_OUT (default build/bench-guard), BENCH_RUNS (default 60).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${BENCH_OUT:-"$REPO_ROOT/build/bench-guard"}
RUNS=${BENCH_RUNS:-60}
WASIBUILD=$(readlink -f -- "${1:-"$REPO_ROOT/build/dev/driver/wasibuild"}")
shift || true

log() { printf '[guard_bench] %s\n' "$*" >&2; }
die() { printf '[guard_bench] error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=bench/lib.sh
source "$REPO_ROOT/bench/lib.sh"

[[ -x "$WASIBUILD" ]] || die "no wasibuild at $WASIBUILD (build it first)"
DIRS=("$@")
if ((${#DIRS[@]} == 0)); then
  for dir in "$REPO_ROOT"/build/dev/tests/compat/*/build "$REPO_ROOT/build/dev"; do
    [[ -d "$dir" ]] && DIRS+=("$dir")
  done
fi
((${#DIRS[@]} > 0)) || die "no build directory to measure (pass one)"

bench_start guard_bench.sh
rm -rf "$OUT/json" && mkdir -p "$OUT/json"
export WASIBUILD_CACHE_DIR="$OUT/cache"
HELLO="$OUT/hello.wasm"
clang++-19 --target=wasm32-wasi --sysroot=/usr -O2 -fno-exceptions \
  "$REPO_ROOT/tests/fixtures/hello.cpp" -o "$HELLO" || die "cannot build the hello fixture"
"$WASIBUILD" exec "$HELLO" >/dev/null || die "wasibuild exec failed"

printf '%-44s %8s %8s %9s %10s %10s %7s\n' "build directory" files guarded "--dir ms" "+build ms" "+graph ms" ratio
for dir in "${DIRS[@]}"; do
  name=$(echo "$dir" | tr '/' '_')
  measure "plain$name" "$RUNS" 5 "" -- "$WASIBUILD" exec --dir "$dir::." "$HELLO"
  measure "guard$name" "$RUNS" 5 "" -- "$WASIBUILD" exec --dir-build "$dir::." "$HELLO"
  plain=$(tstat "plain$name" median)
  guarded=$(tstat "guard$name" median)
  graph=nan
  if [[ -f "$dir/build.ninja" ]] && "$WASIBUILD" exec --help | grep -q -- --build-root; then
    measure "graph$name" "$RUNS" 5 "" -- "$WASIBUILD" exec --dir-build "$dir::." --build-root "$dir" "$HELLO"
    graph=$(tstat "graph$name" median)
  fi
  files=$(find "$dir" -type f | wc -l)
  # The same rule as driver/src/build_dir_guard.cpp, for the table only.
  guarded_count=$(find "$dir" \( -name CMakeFiles -o -name .git \) -prune -printf 'x\n' -o -type f \
    \( -perm /111 -o -name '*.cmake' -o -name '*.ninja' -o -name '.ninja_*' -o -name CMakeCache.txt \
    -o -name CMakeLists.txt -o -name Makefile -o -name '*.sh' -o -name '*.py' -o -name '*.pl' -o -name '*.tcl' \) \
    -printf 'x\n' | wc -l)
  awk -v d="${dir#"$REPO_ROOT"/}" -v f="$files" -v g="$guarded_count" -v p="$plain" -v q="$guarded" -v r="$graph" \
    'BEGIN { printf "%-44s %8d %8d %9.2f %10.2f %10s %7.2f\n", d, f, g, p * 1000, (q - p) * 1000,
             r == "nan" ? "-" : sprintf("%.2f", (r - p) * 1000), q / p }'
done
log "load average: $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
