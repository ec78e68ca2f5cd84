#!/usr/bin/env bash
# threads_parallel.sh: does a wasm32-wasip1-threads module run by `wasibuild
# exec` get the same speed-up from a second thread as the same C++ built
# natively, and how far is each thread count from native speed?
#
#   bash bench/threads_parallel.sh [PATH/TO/wasibuild]
#
# Default wasibuild: BENCH_WASIBUILD, else build/release/driver/wasibuild under
# the repository root; the script times a private copy of it, so a rebuild
# during the run cannot disturb it.
#
# The workload is bench/threads/parallel_hash.cpp: 64-bit FNV-1a over disjoint
# slices of a deterministically generated 32 MiB buffer, BENCH_PASSES times
# (default 40: 1.25 GiB hashed, ~1.5 s on one core natively), split over the
# thread count given on its command line. It prints a checksum that does not
# depend on the thread count; every configuration must print the same one, or
# the script fails. Its worker threads make no system call, so the lock the
# runner holds around WASI calls is not in the way: this measures the threads
# themselves (one store and instance per thread, one shared memory).
#
# Native: g++ -O2 -pthread (BENCH_CXX replaces g++). Wasm: the same file
# through bench/threads/CMakeLists.txt and the drop-in toolchain file
# (cmake-modules/wasi.cmake), Release, WASIBUILD_TARGET=wasm32-wasip1-threads,
# with the toolchain that resolves for wasibuild (setup.sh's debian-llvm23 has
# the target; BENCH_TOOLCHAIN names another). Four configurations, native and
# wasm with 1 and 2 threads, are timed in interleaved rounds (bench/lib.sh:
# each round runs each once, so a change in a shared machine's load falls on
# all alike) with a warm compiled-code cache; the script prints each median,
# the speed-up from 1 to 2 threads on each side and wasm/native at each thread
# count. Then one more run of each under /usr/bin/time (Debian package `time`)
# gives the CPU time used, which shows whether two threads really ran at
# once, and the program's own time for its parallel part (without process
# and module start-up).
#
# This is a benchmark, not a test: it asserts nothing about times. It exits
# non-zero only if something cannot be built or run, or if the checksums
# differ.
#
# Linux's scheduler (with sched_autogroup_enabled, as on the development VM)
# shares the CPU between sessions, not threads: while other sessions keep
# both cores busy, a second thread gains this session nothing, on either
# side. BENCH_AUTOGROUP_NICE (e.g. -10; negative values need root) runs the
# script in a session of its own with that autogroup nice, which takes the
# cores from the other sessions for the length of the run.
#
# Knobs: BENCH_OUT (default build/bench-threads: JSON and logs stay there; the
# build trees and compiled-code cache in its work/ are removed at exit unless
# BENCH_KEEP=1), BENCH_RUNS (rounds, default 5), BENCH_PASSES (default 40),
# BENCH_WASIBUILD, BENCH_CXX, BENCH_TOOLCHAIN, BENCH_AUTOGROUP_NICE (above),
# BENCH_NO_HYPERFINE=1 (time with the date +%s%N loop even where hyperfine is
# installed).
set -euo pipefail

# A new session is a new autogroup: its nice applies to this run alone.
if [[ -n "${BENCH_AUTOGROUP_NICE:-}" && -z "${THREADS_PARALLEL_IN_OWN_SESSION:-}" ]]; then
  exec env THREADS_PARALLEL_IN_OWN_SESSION=1 setsid -w bash "${BASH_SOURCE[0]}" "$@"
fi
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRC=$REPO_ROOT/bench/threads
OUT=${BENCH_OUT:-"$REPO_ROOT/build/bench-threads"}
WORK=$OUT/work
WASIBUILD_ORIG=${1:-${BENCH_WASIBUILD:-"$REPO_ROOT/build/release/driver/wasibuild"}}
WASIBUILD_ORIG=$(readlink -f -- "$WASIBUILD_ORIG" 2>/dev/null || echo "$WASIBUILD_ORIG")
RUNS=${BENCH_RUNS:-5}
PASSES=${BENCH_PASSES:-40}
CXX_NATIVE=${BENCH_CXX:-g++}
NATIVE_FLAGS=(-O2 -pthread -std=c++20)
TOOLCHAIN_FILE=$REPO_ROOT/cmake-modules/wasi.cmake

log() { printf '[threads_parallel] %s\n' "$*" >&2; }
die() { printf '[threads_parallel] error: %s\n' "$*" >&2; exit 1; }

[[ "$RUNS" =~ ^[1-9][0-9]*$ && "$PASSES" =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS and BENCH_PASSES must be positive integers"
for tool in "$CXX_NATIVE" cmake ninja node awk; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
[[ -x "$WASIBUILD_ORIG" ]] || die "wasibuild binary not found or not executable: $WASIBUILD_ORIG"
[[ -f "$TOOLCHAIN_FILE" ]] || die "no toolchain file at $TOOLCHAIN_FILE"
if [[ -n "${BENCH_AUTOGROUP_NICE:-}" ]]; then
  echo "$BENCH_AUTOGROUP_NICE" >/proc/self/autogroup 2>/dev/null ||
    die "cannot set the autogroup nice to $BENCH_AUTOGROUP_NICE (see /proc/sys/kernel/sched_autogroup_enabled; negative values need root)"
fi
# shellcheck source=bench/lib.sh
source "$REPO_ROOT/bench/lib.sh"
bench_start threads_parallel.sh
(($(nproc) >= 2)) || log "warning: nproc is $(nproc): two threads cannot run at once here"

rm -rf "$OUT"
mkdir -p "$OUT/json" "$WORK/bin" "$WORK/out"
cleanup() { if [[ -z "${BENCH_KEEP:-}" ]]; then rm -rf "$WORK"; fi; }
trap cleanup EXIT
cp "$WASIBUILD_ORIG" "$WORK/bin/wasibuild"
WASIBUILD=$WORK/bin/wasibuild
WASIBUILD_SHA=$(sha256sum "$WASIBUILD" | cut -c1-16)
# The toolchains stay those of the user's wasibuild home; compiled code goes
# to a private cache.
export WASIBUILD_CACHE_DIR=$WORK/code-cache
if [[ -n "${BENCH_TOOLCHAIN:-}" ]]; then export WASIBUILD_TOOLCHAIN=$BENCH_TOOLCHAIN; fi

# ----------------------------------------------------------------- build ----
log "building natively: $CXX_NATIVE ${NATIVE_FLAGS[*]}"
"$CXX_NATIVE" "${NATIVE_FLAGS[@]}" -o "$WORK/bin/parallel_hash" "$SRC/parallel_hash.cpp" ||
  die "the native build failed"
log "building to wasm32-wasip1-threads: Release, through $TOOLCHAIN_FILE"
# Without the caller's CXXFLAGS/LDFLAGS, which CMake would add to the wasm
# side only.
env -u CXXFLAGS -u LDFLAGS cmake -G Ninja -S "$SRC" -B "$WORK/wasm-build" -DCMAKE_BUILD_TYPE=Release \
  "-DCMAKE_TOOLCHAIN_FILE=$TOOLCHAIN_FILE" "-DWASIBUILD_EXECUTABLE=$WASIBUILD_ORIG" \
  -DWASIBUILD_TARGET=wasm32-wasip1-threads >"$OUT/wasm-build.log" 2>&1 ||
  die "configuring the wasm build failed (see $OUT/wasm-build.log)"
cmake --build "$WORK/wasm-build" >>"$OUT/wasm-build.log" 2>&1 || die "the wasm build failed (see $OUT/wasm-build.log)"
cp "$WORK/wasm-build/parallel_hash.wasm" "$WORK/bin/parallel_hash.wasm"
grep -qa thread-spawn "$WORK/bin/parallel_hash.wasm" ||
  die "parallel_hash.wasm does not import wasi's thread-spawn: not a wasi-threads module (see $OUT/wasm-build.log)"
WASM_FLAGS=$(sed -n 's/^CMAKE_CXX_FLAGS_RELEASE:[A-Z]*=//p' "$WORK/wasm-build/CMakeCache.txt")
WASM_COMPILER=$(sed -n 's/^set(CMAKE_CXX_COMPILER "\(.*\)")$/\1/p' "$WORK"/wasm-build/CMakeFiles/*/CMakeCXXCompiler.cmake)
WASM_TARGET=$(sed -n 's/^WASIBUILD_TARGET:[A-Z]*=//p' "$WORK/wasm-build/CMakeCache.txt")

# ------------------------------------------------------------- check ----
# One untimed run of each configuration: all four must print the same
# checksum. The first wasm run also fills the compiled-code cache.
CONFIGS=(native1 native2 wasm1 wasm2)
set_command() {  # CONFIG -> the array `command`
  local threads=${1: -1}
  case $1 in
    native*) command=("$WORK/bin/parallel_hash" "$threads" 32 "$PASSES") ;;
    wasm*) command=("$WASIBUILD" exec "$WORK/bin/parallel_hash.wasm" "$threads" 32 "$PASSES") ;;
  esac
}
for config in "${CONFIGS[@]}"; do
  set_command "$config"
  "${command[@]}" >"$WORK/out/$config" 2>"$WORK/out/$config.err" ||
    die "$config failed: $(tr '\n' ' ' <"$WORK/out/$config.err")"
  cmp -s "$WORK/out/native1" "$WORK/out/$config" ||
    die "$config prints a different checksum: $(diff "$WORK/out/native1" "$WORK/out/$config" | tr '\n' ' ')"
  bench_command "$config" "${command[@]}"
done
CHECKSUM=$(cat "$WORK/out/native1")

# ------------------------------------------------------------ timing ----
log "timing ${CONFIGS[*]} ($RUNS interleaved rounds)"
measure_interleaved "$RUNS" "${CONFIGS[@]}"

# One more run of each under /usr/bin/time: CPU time against wall time, and
# the program's own measure of its parallel part.
declare -A CPU_LINE PARALLEL_PART
if [[ -x /usr/bin/time ]]; then
  log "one more run of each under /usr/bin/time"
  for config in "${CONFIGS[@]}"; do
    set_command "$config"
    /usr/bin/time -o "$WORK/out/$config.time" -f '%e %U %S' "${command[@]}" \
      >/dev/null 2>"$WORK/out/$config.err" || die "$config failed under /usr/bin/time"
    read -r wall user sys <"$WORK/out/$config.time"
    CPU_LINE[$config]=$(awk -v w="$wall" -v u="$user" -v s="$sys" \
      'BEGIN { printf "wall %5.2f s, user %5.2f s, sys %4.2f s: %4.2f cores busy", w, u, s, (u + s) / w }')
    PARALLEL_PART[$config]=$(sed -n 's/^parallel part: \([0-9.]*\) s.*/\1/p' "$WORK/out/$config.err")
  done
fi

# ------------------------------------------------------------ report ----
sec() { awk -v s="$1" 'BEGIN { printf "%.3f", s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
declare -A T TMIN
for config in "${CONFIGS[@]}"; do
  T[$config]=$(tstat "$config" median)
  TMIN[$config]=$(tstat "$config" min)
done

echo
echo "## wasi-threads: a parallel workload, 1 and 2 threads, native and wasibuild exec"
echo
echo "date: $(date -u '+%F %H:%M UTC'); machine: nproc $(nproc), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), kernel $(uname -r)"
echo "load average: $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end;" \
  "sched_autogroup_enabled $(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo n/a)," \
  "this run: $(cat /proc/self/autogroup 2>/dev/null || echo n/a)"
echo "wasibuild: $WASIBUILD_ORIG ($("$WASIBUILD" --version 2>/dev/null | head -n 1), sha256 $WASIBUILD_SHA...)"
echo "native: $CXX_NATIVE ${NATIVE_FLAGS[*]} ($("$CXX_NATIVE" --version | head -n 1))"
echo "wasm: $WASM_COMPILER, $WASM_TARGET, Release through the toolchain file: $WASM_FLAGS"
echo "workload: parallel_hash THREADS 32 $PASSES: FNV-1a over 32 MiB x $PASSES passes; $CHECKSUM in all four runs"
if ((HAVE_HYPERFINE)); then
  echo "timing: $(hyperfine --version), median of $RUNS interleaved rounds (wall clock), warm compiled-code cache"
else
  echo "timing: date +%s%N loop, median of $RUNS interleaved rounds (wall clock), warm compiled-code cache"
fi
echo
printf '| %-7s | %-9s | %9s | %9s |\n' threads side "median s" "fastest s"
printf '|%s|%s|%s|%s|\n' --------- ----------- ----------: ----------:
for config in "${CONFIGS[@]}"; do
  side=native
  [[ $config == wasm* ]] && side=wasibuild
  printf '| %-7s | %-9s | %9s | %9s |\n' "${config: -1}" "$side" "$(sec "${T[$config]}")" "$(sec "${TMIN[$config]}")"
done
echo
echo "speed-up 1 -> 2 threads:  native $(ratio "${T[native1]}" "${T[native2]}")   wasibuild $(ratio "${T[wasm1]}" "${T[wasm2]}")" \
  "  (fastest runs: native $(ratio "${TMIN[native1]}" "${TMIN[native2]}"), wasibuild $(ratio "${TMIN[wasm1]}" "${TMIN[wasm2]}"))"
echo "wasibuild/native:         1 thread $(ratio "${T[wasm1]}" "${T[native1]}")   2 threads $(ratio "${T[wasm2]}" "${T[native2]}")" \
  "  (fastest runs: $(ratio "${TMIN[wasm1]}" "${TMIN[native1]}"), $(ratio "${TMIN[wasm2]}" "${TMIN[native2]}"))"
if ((${#CPU_LINE[@]})); then
  echo
  echo "one more run of each under /usr/bin/time (parallel part: the program's own clock, threads started to joined):"
  for config in "${CONFIGS[@]}"; do
    printf '  %-8s %s; parallel part %s s\n' "$config" "${CPU_LINE[$config]}" "${PARALLEL_PART[$config]:-?}"
  done
fi
echo
echo "raw data: $OUT/json/*.json"
exit 0
