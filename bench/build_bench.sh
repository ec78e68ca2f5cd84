#!/usr/bin/env bash
# build_bench.sh: what does `wasibuild build` add to CMake and Ninja?
#
#   bash bench/build_bench.sh [PATH/TO/wasibuild]
#
# Creates a project with `wasibuild new` (the app template: a library, a
# program and a test, C++), builds it once, then measures in one run:
#   (a) a no-op `wasibuild build` against a no-op `ninja -C build/<target>/<profile>`
#       (debug and release); target: at most 50 ms more;
#   (b) the first configure from an empty build directory: `wasibuild build`
#       against plain `cmake -G Ninja -DCMAKE_TOOLCHAIN_FILE=<share>/cmake/wasi.cmake`;
#       target: ratio at most 1.1.
# wasibuild has no configure-only command, so for (b) both sides run with a
# `cmake` and a `ninja` first on PATH that build nothing: `wasibuild build`
# then resolves the toolchain, configures, and skips the compile. The full
# from-scratch build (configure + compile) is timed too, for comparison.
#
# Default wasibuild: build/dev/driver/wasibuild under the repository root. The
# script copies it with its share/wasibuild directory into BENCH_OUT/prefix,
# so a rebuild during the run cannot disturb it. Outputs (the project,
# hyperfine JSON, wasibuild's home) go to build/bench-build/ (BENCH_OUT).
#
# Needs cmake, ninja, node (reads hyperfine's JSON) and a WASI toolchain that
# wasibuild resolves; uses hyperfine when installed, strace when installed (to
# list the processes a no-op build starts).
#
# This is a benchmark, not a test: a missed target prints MISS and the script
# still exits 0. It exits non-zero only if something cannot be built.
#
# Environment knobs: BENCH_OUT, BENCH_RUNS (runs per no-op measurement,
# default 20), BENCH_CONFIGURE_RUNS (default 10), BENCH_BUILD_RUNS (full
# builds, default 3), BENCH_NO_HYPERFINE=1.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${BENCH_OUT:-"$REPO_ROOT/build/bench-build"}

WASIBUILD=${1:-"$REPO_ROOT/build/dev/driver/wasibuild"}
WASIBUILD=$(readlink -f -- "$WASIBUILD" 2>/dev/null || echo "$WASIBUILD")
RUNS=${BENCH_RUNS:-20}
CONFIGURE_RUNS=${BENCH_CONFIGURE_RUNS:-10}
BUILD_RUNS=${BENCH_BUILD_RUNS:-3}
NOOP_TARGET_MS=50
CONFIGURE_TARGET=1.1

log() { printf '[build_bench] %s\n' "$*" >&2; }
die() { printf '[build_bench] error: %s\n' "$*" >&2; exit 1; }

for tool in cmake ninja node awk; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
[[ -x "$WASIBUILD" ]] || die "wasibuild binary not found or not executable: $WASIBUILD"
SHARE_ORIG=$(dirname "$(dirname "$WASIBUILD")")/share/wasibuild
[[ -f "$SHARE_ORIG/cmake/wasi.cmake" ]] || die "no share/wasibuild/cmake/wasi.cmake next to $WASIBUILD"
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_start build_bench.sh

rm -rf "$OUT"
mkdir -p "$OUT/prefix/bin" "$OUT/prefix/share" "$OUT/json" "$OUT/home" "$OUT/shim"
# A private copy laid out as an install: bin/wasibuild (+ the installer
# module), share/wasibuild (toolchain file, templates).
cp "$WASIBUILD" "$OUT/prefix/bin/wasibuild"
cp "$(dirname "$WASIBUILD")"/libwasibuild-installer*.so "$OUT/prefix/bin/" 2>/dev/null || true
cp -r "$SHARE_ORIG" "$OUT/prefix/share/wasibuild"
WB=$OUT/prefix/bin/wasibuild
TOOLCHAIN_FILE=$OUT/prefix/share/wasibuild/cmake/wasi.cmake
WB_SHA=$(sha256sum "$WB" | cut -c1-16)
export WASIBUILD_HOME="$OUT/home"
unset WASIBUILD_TOOLCHAIN

# A cmake and a ninja that configure as usual and build nothing, for the
# configure-only comparison. wasibuild runs the ninja that CMake recorded in
# the build's cache (CMAKE_MAKE_PROGRAM), which is then this one; CMake
# itself asks it only for its --version.
REAL_CMAKE=$(command -v cmake)
REAL_NINJA=$(command -v ninja)
cat >"$OUT/shim/cmake" <<EOF
#!/bin/sh
[ "\$1" = "--build" ] && exit 0
exec "$REAL_CMAKE" "\$@"
EOF
cat >"$OUT/shim/ninja" <<EOF
#!/bin/sh
[ "\$1" = "--version" ] && exec "$REAL_NINJA" "\$@"
exit 0
EOF
chmod +x "$OUT/shim/cmake" "$OUT/shim/ninja"
SHIM_PATH="$OUT/shim:$PATH"

# Plain CMake, configure then build, as one command for the full-build timing.
cat >"$OUT/plain-build.sh" <<EOF
#!/bin/sh
set -e
cmake -G Ninja -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN_FILE" -DCMAKE_BUILD_TYPE=Debug -S . -B fresh >/dev/null
cmake --build fresh >/dev/null
EOF
chmod +x "$OUT/plain-build.sh"



# ----------------------------------------------------------------- setup ----
cd "$OUT"
log "wasibuild new proj"
"$WB" new proj >"$OUT/new.log" 2>&1 || die "wasibuild new failed: $(cat "$OUT/new.log")"
cd "$OUT/proj"
# The first resolution of the system toolchain probes its capabilities
# (compiles a few programs) and caches them under WASIBUILD_HOME: done once
# per machine, timed here once and kept out of the comparisons below.
t0=$(date +%s%N)
"$WB" toolchain which >"$OUT/which.log" 2>&1 || die "no toolchain resolves: $(cat "$OUT/which.log")"
t1=$(date +%s%N)
FIRST_RESOLVE_MS=$(((t1 - t0) / 1000000))
TOOLCHAIN_LINE=$(head -n 1 "$OUT/which.log")

log "first builds (debug, release)"
"$WB" build >"$OUT/first-build.log" 2>&1 || die "wasibuild build failed: $(tail -n 20 "$OUT/first-build.log")"
"$WB" build --release >"$OUT/first-release.log" 2>&1 \
  || die "wasibuild build --release failed: $(tail -n 20 "$OUT/first-release.log")"
TARGET_DIR=$(find build -mindepth 1 -maxdepth 1 -type d | head -n 1)
[[ -d "$TARGET_DIR/debug" && -d "$TARGET_DIR/release" ]] || die "no $TARGET_DIR/debug and /release after building"
# A no-op build must not run CMake's configure or any compiler: check.
"$WB" build >"$OUT/noop-check.log" 2>&1
if grep -q -e "Configuring done" -e "Building" "$OUT/noop-check.log"; then
  log "warning: a second wasibuild build was not a no-op: $(tr '\n' ' ' <"$OUT/noop-check.log")"
fi

# ------------------------------------------------------------- (a) no-op ----
log "(a) no-op builds ($RUNS runs each)"
measure noop.ninja.debug "$RUNS" 3 "" -- ninja -C "$TARGET_DIR/debug"
measure noop.cmake.debug "$RUNS" 3 "" -- cmake --build "$TARGET_DIR/debug"
measure noop.wasibuild.debug "$RUNS" 3 "" -- "$WB" build
measure noop.ninja.release "$RUNS" 3 "" -- ninja -C "$TARGET_DIR/release"
measure noop.wasibuild.release "$RUNS" 3 "" -- "$WB" build --release
# Parts of the no-op build, for the reading: the process alone, the toolchain resolution.
measure part.version "$RUNS" 3 "" -- "$WB" --version
measure part.which "$RUNS" 3 "" -- "$WB" toolchain which --cmake
# The no-op pair again at the end: a load change during the run shows up here.
measure noop.ninja.debug2 "$RUNS" 3 "" -- ninja -C "$TARGET_DIR/debug"
measure noop.wasibuild.debug2 "$RUNS" 3 "" -- "$WB" build

PROCESSES=""
if command -v strace >/dev/null; then
  strace -f -qq -e trace=execve -e signal=none -o "$OUT/noop.strace" "$WB" build >/dev/null 2>&1 || true
  PROCESSES=$(grep -v ENOENT "$OUT/noop.strace" | sed -n 's/.*execve("\([^"]*\)".*/\1/p' | xargs -r -n 1 basename \
    | sort | uniq -c | awk '{ printf "%s%s x%d", sep, $2, $1; sep = ", " }')
fi

# ------------------------------------------------------- (b) first configure ----
log "(b) first configure from an empty build directory ($CONFIGURE_RUNS runs each)"
export PATH=$SHIM_PATH
measure configure.cmake "$CONFIGURE_RUNS" 1 "rm -rf fresh" -- \
  cmake -G Ninja "-DCMAKE_TOOLCHAIN_FILE=$TOOLCHAIN_FILE" -DCMAKE_BUILD_TYPE=Debug -S . -B fresh
measure configure.wasibuild "$CONFIGURE_RUNS" 1 "rm -rf $TARGET_DIR/debug" -- "$WB" build
measure configure.cmake2 "$CONFIGURE_RUNS" 1 "rm -rf fresh" -- \
  cmake -G Ninja "-DCMAKE_TOOLCHAIN_FILE=$TOOLCHAIN_FILE" -DCMAKE_BUILD_TYPE=Debug -S . -B fresh
measure configure.wasibuild2 "$CONFIGURE_RUNS" 1 "rm -rf $TARGET_DIR/debug" -- "$WB" build
# How often plain CMake's configure asks wasibuild for the toolchain (the
# toolchain file runs `wasibuild toolchain which --cmake`).
WHICH_CALLS="n/a"
if command -v strace >/dev/null; then
  rm -rf fresh
  strace -f -qq -e trace=execve -e signal=none -o "$OUT/configure.strace" \
    cmake -G Ninja "-DCMAKE_TOOLCHAIN_FILE=$TOOLCHAIN_FILE" -DCMAKE_BUILD_TYPE=Debug -S . -B fresh >/dev/null 2>&1 || true
  WHICH_CALLS=$(grep -v ENOENT "$OUT/configure.strace" | grep -c 'execve(".*wasibuild", \[[^]]*"toolchain", "which"' || true)
fi
export PATH=${PATH#"$OUT/shim:"}

log "full builds from scratch, configure + compile ($BUILD_RUNS runs each)"
measure full.cmake "$BUILD_RUNS" 0 "rm -rf fresh" -- "$OUT/plain-build.sh"
measure full.wasibuild "$BUILD_RUNS" 0 "rm -rf $TARGET_DIR/debug" -- "$WB" build
"$WB" build >/dev/null 2>&1 || die "the last wasibuild build failed"

# ---------------------------------------------------------------- report ----
ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }
verdict() { if awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; then echo PASS; else echo MISS; fi; }
row() { # row LABEL NAME
  local cpu
  cpu=$(tstat "$2" cpu)
  printf '  %-52s %8s ms   (CPU %6s ms)\n' "$1" "$(ms "$(tstat "$2" median)")" "$(ms "$cpu")"
}
both_medians() { awk -v a="$(tstat "$1" median)" -v b="$(tstat "$2" median)" 'BEGIN { printf "%.6f", (a + b) / 2 }'; }

NOOP_NINJA=$(both_medians noop.ninja.debug noop.ninja.debug2)
NOOP_WB=$(both_medians noop.wasibuild.debug noop.wasibuild.debug2)
NOOP_DIFF=$(awk -v a="$NOOP_WB" -v b="$NOOP_NINJA" 'BEGIN { printf "%.1f", (a - b) * 1000 }')
REL_DIFF=$(awk -v a="$(tstat noop.wasibuild.release median)" -v b="$(tstat noop.ninja.release median)" \
  'BEGIN { printf "%.1f", (a - b) * 1000 }')
CONF_CMAKE=$(both_medians configure.cmake configure.cmake2)
CONF_WB=$(both_medians configure.wasibuild configure.wasibuild2)
CONF_RATIO=$(awk -v a="$CONF_WB" -v b="$CONF_CMAKE" 'BEGIN { printf "%.3f", a / b }')
FULL_RATIO=$(awk -v a="$(tstat full.wasibuild median)" -v b="$(tstat full.cmake median)" 'BEGIN { printf "%.3f", a / b }')

echo
echo "## wasibuild build benchmark"
echo
echo "wasibuild: $WASIBUILD ($("$WB" --version 2>/dev/null | head -n 1), sha256 $WB_SHA...)"
echo "toolchain: $TOOLCHAIN_LINE"
echo "load average: $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end (nproc $(nproc))"
echo "$(cmake --version | head -n 1), ninja $(ninja --version)"
if ((HAVE_HYPERFINE)); then
  echo "timing: $(hyperfine --version), median wall time; CPU = mean user+sys of the process tree"
else
  echo "timing: date +%s%N loop, median wall time"
fi
echo "project: wasibuild new proj (app template: 1 library, 1 program, 1 test; C++)"
echo "first toolchain resolution (capability probe, cached afterwards): $FIRST_RESOLVE_MS ms"
echo
echo "(a) no-op build ($RUNS runs each; the debug pair measured at the start and at the end of this part)"
row "ninja -C $TARGET_DIR/debug" noop.ninja.debug
row "cmake --build $TARGET_DIR/debug" noop.cmake.debug
row "wasibuild build" noop.wasibuild.debug
row "ninja -C $TARGET_DIR/debug (again)" noop.ninja.debug2
row "wasibuild build (again)" noop.wasibuild.debug2
row "ninja -C $TARGET_DIR/release" noop.ninja.release
row "wasibuild build --release" noop.wasibuild.release
row "  part: wasibuild --version" part.version
row "  part: wasibuild toolchain which --cmake" part.which
[[ -n "$PROCESSES" ]] && echo "  processes a no-op wasibuild build starts (strace): $PROCESSES"
echo "  wasibuild build - ninja, debug: $NOOP_DIFF ms (mean of both pairs); release: $REL_DIFF ms"
echo
echo "(b) first configure from an empty build directory ($CONFIGURE_RUNS runs each; cmake --build and ninja build nothing)"
row "cmake -G Ninja -DCMAKE_TOOLCHAIN_FILE=.../wasi.cmake" configure.cmake
row "wasibuild build (configure only)" configure.wasibuild
row "cmake -G Ninja ... (again)" configure.cmake2
row "wasibuild build (configure only, again)" configure.wasibuild2
echo "  plain cmake's configure ran \`wasibuild toolchain which\` $WHICH_CALLS time(s)"
echo "  ratio wasibuild/cmake: $CONF_RATIO"
echo
echo "full build from an empty build directory, configure + compile ($BUILD_RUNS runs each)"
row "cmake configure + cmake --build" full.cmake
row "wasibuild build" full.wasibuild
echo "  ratio wasibuild/cmake: $FULL_RATIO"
echo
echo "targets:"
echo "  $(verdict "$NOOP_DIFF" "$NOOP_TARGET_MS") no-op wasibuild build <= ninja no-op + $NOOP_TARGET_MS ms (measured +$NOOP_DIFF ms; release +$REL_DIFF ms)"
echo "  $(verdict "$CONF_RATIO" "$CONFIGURE_TARGET") first configure wasibuild/cmake <= $CONFIGURE_TARGET (measured $CONF_RATIO)"
echo
echo "raw data: $OUT/json/*.json"
exit 0
