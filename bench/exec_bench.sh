#!/usr/bin/env bash
# exec_bench.sh: how fast does `wasibuild exec` run CPU-bound C, next to the
# same C built natively and the same .wasm run by node's WASI?
#
#   bash bench/exec_bench.sh [PATH/TO/wasibuild]
#
# Default wasibuild: build/dev/driver/wasibuild under the repository root; the
# script times a copy of it (build/bench/bin/wasibuild), so a rebuild during the
# run cannot disturb it. Outputs (binaries, hyperfine JSON, wasibuild's home and
# caches) go to build/bench/ under the repository root.
#
# The wasm side is what users ship: the workloads are built as a CMake project
# in the Release configuration through wasibuild's drop-in toolchain file, so
# they get its release flags (-O3, wasm SIMD, interleaved vector loops), with
# the toolchain `wasibuild toolchain which` resolves (Debian's clang-19 and
# wasi-libc on a machine without a WASI SDK). The native side is clang-19 -O2.
# Each round runs native, wasibuild and node once in turn (bench/lib.sh), so
# a change in the load of a shared machine falls on all three alike.
#
# Needs clang-19, cmake, ninja and node; uses hyperfine when installed
# (apt-get install hyperfine), otherwise a date +%s%N loop; /usr/bin/time
# (Debian package `time`) for peak RSS.
#
# This is a benchmark, not a test: missed targets print MISS, and the script
# still exits 0. It exits non-zero only if something cannot be built or run,
# or if the runtimes disagree on a workload's output.
#
# Environment knobs: BENCH_OUT (output directory, default build/bench),
# BENCH_RUNS (timed rounds per workload, default 5),
# BENCH_STARTUP_RUNS (runs per start-up measurement, default 30), BENCH_NO_HYPERFINE=1
# (use the date +%s%N loop even where hyperfine is installed), BENCH_WASM_FLAGS
# (replaces the toolchain file's Release compile flags, e.g. "-O2"),
# BENCH_TOOLCHAIN_ARCHIVE (a toolchain archive, such as setup.sh's
# debian-llvm23.tar.gz, installed into the bench's own home and used for the
# wasm side instead of the one that resolves there, the system's).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR="$REPO_ROOT/bench"
WORKLOADS="$BENCH_DIR/workloads"
OUT=${BENCH_OUT:-"$REPO_ROOT/build/bench"}

WASIBUILD=${1:-"$REPO_ROOT/build/dev/driver/wasibuild"}
WASIBUILD=$(readlink -f -- "$WASIBUILD" 2>/dev/null || echo "$WASIBUILD")
RUNS=${BENCH_RUNS:-5}
STARTUP_RUNS=${BENCH_STARTUP_RUNS:-30}

CC=${CC:-clang-19}
NATIVE_FLAGS=(-O2)
NODE_RUNNER=(node --no-warnings "$BENCH_DIR/node_wasi.mjs")

# name | arguments (the iteration counts; sized for ~0.5-1 s natively at -O2)
WORKLOAD_LIST=(
  "nbody|8000000"
  "crc32|400"
  "sieve|16"
  "matmul|25 400"
  "fib|41"
  "strproc|1200"
)

log() { printf '[exec_bench] %s\n' "$*" >&2; }
die() { printf '[exec_bench] error: %s\n' "$*" >&2; exit 1; }

for tool in "$CC" cmake ninja node awk; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
[[ -x "$WASIBUILD" ]] || die "wasibuild binary not found or not executable: $WASIBUILD"
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_start exec_bench.sh

rm -rf "$OUT"
mkdir -p "$OUT/bin" "$OUT/json" "$OUT/out" "$OUT/home"
# Time a private copy of the binary, so that a rebuild of the tree during the
# run (relinking the original in place) cannot mix two builds or fail a run.
WASIBUILD_ORIG=$WASIBUILD
cp "$WASIBUILD_ORIG" "$OUT/bin/wasibuild"
WASIBUILD=$OUT/bin/wasibuild
WASIBUILD_SHA=$(sha256sum "$WASIBUILD" | cut -c1-16)
# Keep wasibuild's files inside build/bench: its own home and a warm cache.
export WASIBUILD_HOME="$OUT/home"
export WASIBUILD_CACHE_DIR="$OUT/cache-warm"
COLD_CACHE="$OUT/cache-cold"
if [ -n "${BENCH_TOOLCHAIN_ARCHIVE:-}" ]; then
  "$WASIBUILD_ORIG" toolchain install --from "$BENCH_TOOLCHAIN_ARCHIVE" --name bench-toolchain --allow-unpinned --quiet \
    >"$OUT/toolchain-install.log" 2>&1 || { echo "[exec_bench] error: cannot install $BENCH_TOOLCHAIN_ARCHIVE" >&2; exit 1; }
  export WASIBUILD_TOOLCHAIN=bench-toolchain
fi



# ----------------------------------------------------------------- build ----
names=()
for entry in "${WORKLOAD_LIST[@]}" "hello|"; do names+=("${entry%%|*}"); done
log "building workloads natively with $CC ${NATIVE_FLAGS[*]} into $OUT/bin"
for name in "${names[@]}"; do
  "$CC" "${NATIVE_FLAGS[@]}" -o "$OUT/bin/$name" "$WORKLOADS/$name.c" -lm
done
log "building workloads to wasm: Release, through the toolchain file"
mkdir -p "$OUT/wasm-src"
cat >"$OUT/wasm-src/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.20)
project(exec_bench C)
foreach(name IN ITEMS ${names[*]})
  add_executable(\${name} "$WORKLOADS/\${name}.c")
  target_link_libraries(\${name} PRIVATE m)
endforeach()
CMAKE
wasm_flags_override=()
if [[ -n "${BENCH_WASM_FLAGS:-}" ]]; then wasm_flags_override=("-DCMAKE_C_FLAGS_RELEASE=$BENCH_WASM_FLAGS"); fi
# Without the caller's CFLAGS/LDFLAGS, which CMake would add to the wasm side
# only (the native side is built with NATIVE_FLAGS alone).
env -u CFLAGS -u LDFLAGS cmake -G Ninja -S "$OUT/wasm-src" -B "$OUT/wasm-build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$("$WASIBUILD_ORIG" toolchain-file)" -DWASIBUILD_EXECUTABLE="$WASIBUILD_ORIG" \
  "${wasm_flags_override[@]}" >"$OUT/wasm-build.log" 2>&1 || die "configuring the wasm build failed (see $OUT/wasm-build.log)"
cmake --build "$OUT/wasm-build" >>"$OUT/wasm-build.log" 2>&1 || die "the wasm build failed (see $OUT/wasm-build.log)"
for name in "${names[@]}"; do cp "$OUT/wasm-build/$name.wasm" "$OUT/bin/$name.wasm"; done
WASM_FLAGS=$(sed -n 's/^CMAKE_C_FLAGS_RELEASE:[A-Z]*=//p' "$OUT/wasm-build/CMakeCache.txt")
WASM_COMPILER=$(sed -n 's/^set(CMAKE_C_COMPILER "\(.*\)")$/\1/p' "$OUT"/wasm-build/CMakeFiles/*/CMakeCCompiler.cmake)

# ------------------------------------------------------------ workloads ----
# First, one untimed run of each runtime: checks that all three print the same
# checksum, and fills wasibuild's compiled-code cache (so timed runs are warm).
for entry in "${WORKLOAD_LIST[@]}"; do
  name=${entry%%|*}
  read -r -a args <<<"${entry#*|}"
  log "$name ${args[*]}: checking outputs (and warming the cache)"
  "$OUT/bin/$name" "${args[@]}" >"$OUT/out/$name.native"
  "$WASIBUILD" exec "$OUT/bin/$name.wasm" "${args[@]}" >"$OUT/out/$name.wasibuild"
  "${NODE_RUNNER[@]}" "$OUT/bin/$name.wasm" "${args[@]}" >"$OUT/out/$name.node"
  cmp -s "$OUT/out/$name.native" "$OUT/out/$name.wasibuild" \
    || die "$name: wasibuild output differs from native: $(diff "$OUT/out/$name.native" "$OUT/out/$name.wasibuild" | tr '\n' ' ')"
  cmp -s "$OUT/out/$name.native" "$OUT/out/$name.node" \
    || die "$name: node output differs from native: $(diff "$OUT/out/$name.native" "$OUT/out/$name.node" | tr '\n' ' ')"
done

for entry in "${WORKLOAD_LIST[@]}"; do
  name=${entry%%|*}
  read -r -a args <<<"${entry#*|}"
  log "$name ${args[*]}: timing native, wasibuild exec, node ($RUNS rounds)"
  bench_command "$name.native" "$OUT/bin/$name" "${args[@]}"
  bench_command "$name.wasibuild" "$WASIBUILD" exec "$OUT/bin/$name.wasm" "${args[@]}"
  bench_command "$name.node" "${NODE_RUNNER[@]}" "$OUT/bin/$name.wasm" "${args[@]}"
  measure_interleaved "$RUNS" "$name.native" "$name.wasibuild" "$name.node"
done

# -------------------------------------------------------------- start-up ----
log "start-up: hello ($STARTUP_RUNS runs each)"
HELLO=$OUT/bin/hello.wasm
[[ "$("$WASIBUILD" exec "$HELLO")" == "$("$OUT/bin/hello")" ]] || die "hello: wasibuild output differs from native"
measure hello.native "$STARTUP_RUNS" 3 "" -- "$OUT/bin/hello"
measure wasibuild.version "$STARTUP_RUNS" 3 "" -- "$WASIBUILD" --version
measure hello.warm "$STARTUP_RUNS" 3 "" -- "$WASIBUILD" exec "$HELLO"
cold_runs=$((STARTUP_RUNS < 10 ? STARTUP_RUNS : 10))
WASIBUILD_CACHE_DIR=$COLD_CACHE measure hello.cold "$cold_runs" 0 "rm -rf $COLD_CACHE" -- \
  "$WASIBUILD" exec "$HELLO"
measure hello.nocache "$cold_runs" 0 "" -- "$WASIBUILD" exec --no-cache "$HELLO"
measure hello.node "$cold_runs" 1 "" -- "${NODE_RUNNER[@]}" "$HELLO"

# Peak RSS of the warm hello run: the median of 5 runs of /usr/bin/time -f %M.
RSS_KB="n/a (install Debian package 'time') "
if [[ -x /usr/bin/time ]]; then
  rss=()
  for _ in 1 2 3 4 5; do
    rss+=("$(/usr/bin/time -f %M "$WASIBUILD" exec "$HELLO" 2>&1 >/dev/null | tail -n 1)")
  done
  RSS_KB="$(printf '%s\n' "${rss[@]}" | sort -n | sed -n 3p) "
  NATIVE_RSS_KB=$(/usr/bin/time -f %M "$OUT/bin/hello" 2>&1 >/dev/null | tail -n 1)
fi

# ------------------------------------------------------- dynamic loading ----
LDD_OUT=$(ldd "$WASIBUILD" 2>&1 || true)
# Libraries the loader must find and map: lines with "=>" (not the vDSO, not ld.so itself).
LDD_COUNT=$(grep -c '=>' <<<"$LDD_OUT" || true)
LDD_NAMES=$(grep '=>' <<<"$LDD_OUT" | awk '{print $1}' | tr '\n' ' ')
# glibc's own account of its start-up work (TSC cycles) for `wasibuild --version`.
LD_STATS=$(LD_DEBUG=statistics "$WASIBUILD" --version 2>&1 >/dev/null || true)
LD_CYCLES=$(sed -n 's/.*total startup time in dynamic loader: *\([0-9]*\) cycles.*/\1/p' <<<"$LD_STATS" | head -n 1)
LD_RELOCS=$(sed -n 's/.*final number of relocations: *\([0-9]*\).*/\1/p' <<<"$LD_STATS" | head -n 1)
LD_RELATIVE=$(sed -n 's/.*number of relative relocations: *\([0-9]*\).*/\1/p' <<<"$LD_STATS" | head -n 1)
CPU_MHZ=$(awk -F: '/^cpu MHz/ { gsub(/ /, "", $2); print $2; exit }' /proc/cpuinfo 2>/dev/null || true)

# ---------------------------------------------------------------- report ----
ms() { awk -v s="$1" 'BEGIN { printf "%.2f", s * 1000 }'; }
sec() { awk -v s="$1" 'BEGIN { printf "%.3f", s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# verdict VALUE LIMIT -> PASS if VALUE <= LIMIT, else MISS
verdict() { if awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 > 0 && a + 0 <= b + 0) }'; then echo PASS; else echo MISS; fi; }

echo
echo "## wasibuild exec benchmark"
echo
echo "wasibuild: $WASIBUILD_ORIG ($("$WASIBUILD" --version 2>/dev/null | head -n 1), sha256 $WASIBUILD_SHA...)"
echo "load average: $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end (nproc $(nproc))"
echo "native: $CC ${NATIVE_FLAGS[*]}; wasm: $WASM_COMPILER, Release through the toolchain file: $WASM_FLAGS"
if ((HAVE_HYPERFINE)); then
  echo "timing: $(hyperfine --version), median of $RUNS interleaved rounds (wall clock), warm wasibuild cache"
else
  echo "timing: date +%s%N loop, median of $RUNS interleaved rounds (wall clock), warm wasibuild cache"
fi
echo
printf '| %-8s | %-12s | %9s | %11s | %9s | %9s | %9s | %10s |\n' \
  workload args "native s" "wasibuild s" "node s" "wb/native" "node/nat" "wb/node"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' ---------- -------------- ----------: ------------: \
  ----------: ----------: ----------: -----------:
log_sum=0
count=0
slower_than_node=()
for entry in "${WORKLOAD_LIST[@]}"; do
  name=${entry%%|*}
  t_nat=$(tstat "$name.native" median)
  t_wb=$(tstat "$name.wasibuild" median)
  t_node=$(tstat "$name.node" median)
  printf '| %-8s | %-12s | %9s | %11s | %9s | %9s | %9s | %10s |\n' "$name" "${entry#*|}" \
    "$(sec "$t_nat")" "$(sec "$t_wb")" "$(sec "$t_node")" \
    "$(ratio "$t_wb" "$t_nat")" "$(ratio "$t_node" "$t_nat")" "$(ratio "$t_wb" "$t_node")"
  log_sum=$(awk -v s="$log_sum" -v a="$t_wb" -v b="$t_nat" 'BEGIN { printf "%.12f", s + log(a / b) }')
  count=$((count + 1))
  awk -v a="$t_wb" -v b="$t_node" 'BEGIN { exit !(a < b) }' || slower_than_node+=("$name")
done
GEOMEAN=$(awk -v s="$log_sum" -v n="$count" 'BEGIN { printf "%.3f", exp(s / n) }')
NODE_GEOMEAN=$(
  for entry in "${WORKLOAD_LIST[@]}"; do
    name=${entry%%|*}
    echo "$(tstat "$name.node" median) $(tstat "$name.native" median)"
  done | awk '{ s += log($1 / $2); n++ } END { printf "%.3f", exp(s / n) }'
)
# Each side's fastest run: for deterministic CPU-bound work, interference
# from other load only ever adds time, so the minimum is the estimate least
# disturbed by it. Reported beside the median; the target uses the median.
BEST_GEOMEAN=$(
  for entry in "${WORKLOAD_LIST[@]}"; do
    name=${entry%%|*}
    echo "$(tstat "$name.wasibuild" min) $(tstat "$name.native" min)"
  done | awk '{ s += log($1 / $2); n++ } END { printf "%.3f", exp(s / n) }'
)
echo
echo "geomean wasibuild/native: $GEOMEAN   (node/native: $NODE_GEOMEAN; fastest runs: wasibuild/native $BEST_GEOMEAN)"

# The same in CPU time (user + system, mean, all threads of the process): less
# sensitive than wall time to other load on the machine. Node's figure includes
# its compiler and GC threads. Reported for information; targets use wall time.
if ((HAVE_HYPERFINE)); then
  echo
  echo "CPU time (user+sys, mean of $RUNS rounds), for comparison:"
  echo
  printf '| %-8s | %9s | %11s | %9s | %9s | %9s | %10s |\n' \
    workload "native s" "wasibuild s" "node s" "wb/native" "node/nat" "wb/node"
  printf '|%s|%s|%s|%s|%s|%s|%s|\n' ---------- ----------: ------------: \
    ----------: ----------: ----------: -----------:
  cpu_rows=""
  for entry in "${WORKLOAD_LIST[@]}"; do
    name=${entry%%|*}
    c_nat=$(tstat "$name.native" cpu)
    c_wb=$(tstat "$name.wasibuild" cpu)
    c_node=$(tstat "$name.node" cpu)
    printf '| %-8s | %9s | %11s | %9s | %9s | %9s | %10s |\n' "$name" \
      "$(sec "$c_nat")" "$(sec "$c_wb")" "$(sec "$c_node")" \
      "$(ratio "$c_wb" "$c_nat")" "$(ratio "$c_node" "$c_nat")" "$(ratio "$c_wb" "$c_node")"
    cpu_rows+="$c_nat $c_wb $c_node"$'\n'
  done
  echo
  awk 'NF == 3 { a += log($2 / $1); b += log($3 / $1); n++ }
       END { printf "geomean CPU wasibuild/native: %.3f   (node/native: %.3f)\n", exp(a / n), exp(b / n) }' <<<"$cpu_rows"
fi

T_NAT=$(tstat hello.native median)
T_WARM=$(tstat hello.warm median)
T_COLD=$(tstat hello.cold median)
T_NOCACHE=$(tstat hello.nocache median)
T_NODE=$(tstat hello.node median)
T_VERSION=$(tstat wasibuild.version median)
echo
echo "start-up, hello world (median wall time):"
printf '  %-44s %8s ms  (%d runs)\n' "native hello" "$(ms "$T_NAT")" "$STARTUP_RUNS"
printf '  %-44s %8s ms  (%d runs)\n' "wasibuild --version (no module at all)" "$(ms "$T_VERSION")" "$STARTUP_RUNS"
printf '  %-44s %8s ms  (%d runs)\n' "wasibuild exec hello.wasm, warm cache" "$(ms "$T_WARM")" "$STARTUP_RUNS"
printf '  %-44s %8s ms  (%d runs)\n' "wasibuild exec hello.wasm, cold cache" "$(ms "$T_COLD")" "$cold_runs"
printf '  %-44s %8s ms  (%d runs)\n' "wasibuild exec --no-cache hello.wasm" "$(ms "$T_NOCACHE")" "$cold_runs"
printf '  %-44s %8s ms  (%d runs)\n' "node node_wasi.mjs hello.wasm" "$(ms "$T_NODE")" "$cold_runs"
echo "  peak RSS, wasibuild exec hello.wasm (warm): ${RSS_KB}KB   (native hello: ${NATIVE_RSS_KB:-n/a} KB)"
echo
echo "dynamic loading: ldd lists $LDD_COUNT shared libraries for wasibuild: $LDD_NAMES"
echo "  binary size: $(stat -c %s "$WASIBUILD" 2>/dev/null || wc -c <"$WASIBUILD") bytes"
if [[ -n "$LD_CYCLES" ]]; then
  approx=""
  [[ -n "$CPU_MHZ" ]] && approx=" (~$(awk -v c="$LD_CYCLES" -v m="$CPU_MHZ" 'BEGIN { printf "%.2f", c / m / 1000 }') ms at $CPU_MHZ MHz)"
  echo "  LD_DEBUG=statistics: $LD_CYCLES cycles in the dynamic loader before main$approx;" \
    "$LD_RELOCS symbol relocations, $LD_RELATIVE relative relocations"
fi

echo
echo "targets:"
echo "  $(verdict "$GEOMEAN" 1.3) exec/native geomean <= 1.3 (measured $GEOMEAN)"
if ((${#slower_than_node[@]} == 0)); then
  echo "  PASS exec faster than node on every workload"
else
  echo "  MISS exec faster than node on every workload (not on: ${slower_than_node[*]})"
fi
echo "  $(verdict "$T_WARM" 0.005) warm hello start-up <= 5 ms (measured $(ms "$T_WARM") ms)"
echo
echo "raw data: $OUT/json/*.json"
exit 0
