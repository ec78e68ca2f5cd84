#!/usr/bin/env bash
# compat_bench.sh: how long does a project's own CTest suite take under
# wasibuild (the `wasibuild test` way: every test program runs through its
# host launcher in the sandboxed runner, compiled-code cache warm) against the
# same suite built and run natively? Prints the ratio; there is no target.
#
#   bash bench/compat_bench.sh [PATH/TO/wasibuild]
#
# Projects: libyaml, utf8proc, json-c, cmark from the compatibility suite
# (docs/compatibility.md), the ones whose tests run quickly through CTest.
# Left out:
#   - expat: its CTest tests exec the .wasm as a host program, so the suite
#     runs its two test programs through their launchers instead of CTest;
#   - yajl: no CTest at all (a custom `test` target running a shell script);
#   - libxml2: by far the largest build of the suite, which would make the
#     run several times longer for one more data point.
#
# For each project, tests/compat/compat.sh fetches (or reuses) the Debian
# source and builds the wasm side with share/wasibuild/cmake/wasi.cmake into
# BENCH_OUT/PROJECT/wasm; the same extracted source is then configured with
# plain `cmake -G Ninja` (clang-19 when installed, else the default compiler),
# the same cache options, build type and test exclusions as compat.sh, and
# built with -j2. Each side's ctest runs once untimed (checked to pass; for
# the wasm side this fills the compiled-code cache), then BENCH_RUNS times
# (default 3), median wall time, hyperfine when installed.
#
# The compat sources stay in the shared cache (WASIBUILD_COMPAT_CACHE,
# default ~/.cache/wasibuild-dev/compat-sources); wasibuild's home and the
# XDG cache are inside BENCH_OUT (default build/bench-compat), so the
# compiled-code cache measured here is this run's own. The wasibuild binary
# (default build/dev/driver/wasibuild, with ../share/wasibuild) is copied
# into BENCH_OUT first, so a rebuild of the tree during the run cannot
# change it.
#
# Environment knobs: BENCH_OUT, BENCH_RUNS, BENCH_PROJECTS (space-separated
# subset), BENCH_NO_HYPERFINE=1. Exits non-zero only when a project cannot be
# built or its tests fail.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${BENCH_OUT:-"$REPO_ROOT/build/bench-compat"}
SRC_WB=$(readlink -f -- "${1:-"$REPO_ROOT/build/dev/driver/wasibuild"}" 2>/dev/null || echo "${1:-}")
RUNS=${BENCH_RUNS:-3}
read -r -a PROJECTS <<<"${BENCH_PROJECTS:-libyaml utf8proc json-c cmark}"

log() { printf '[compat_bench] %s\n' "$*" >&2; }
die() { printf '[compat_bench] error: %s\n' "$*" >&2; exit 1; }

missing=$(for t in cmake ninja ctest awk; do command -v "$t" >/dev/null || printf ' %s' "$t"; done)
[[ -z "$missing" ]] || die "not on PATH:$missing"
SRC_SHARE=$(dirname "$(dirname "$SRC_WB")")/share/wasibuild
[[ -x "$SRC_WB" && -f "$SRC_SHARE/cmake/wasi.cmake" ]] ||
  die "need an executable wasibuild with ../share/wasibuild/cmake/wasi.cmake next to it (got: ${SRC_WB:-nothing})"
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_start compat_bench.sh

# Resolve the shared caches before XDG_CACHE_HOME moves into OUT.
export WASIBUILD_COMPAT_CACHE=${WASIBUILD_COMPAT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wasibuild-dev/compat-sources}
if command -v ccache >/dev/null && [[ -z "${CCACHE_DIR:-}" ]]; then
  CCACHE_DIR=$(ccache -k cache_dir 2>/dev/null) && export CCACHE_DIR || unset CCACHE_DIR
fi

rm -rf "$OUT"
mkdir -p "$OUT/bin" "$OUT/share" "$OUT/home" "$OUT/xdg-cache"
cp "$SRC_WB" "$OUT/bin/"
for lib in "$(dirname "$SRC_WB")"/libwasibuild-installer*.so; do
  if [[ -e "$lib" ]]; then cp "$lib" "$OUT/bin/"; fi
done
cp -r "$SRC_SHARE" "$OUT/share/"
WB=$OUT/bin/wasibuild SHARE=$OUT/share/wasibuild
export WASIBUILD_HOME="$OUT/home" XDG_CACHE_HOME="$OUT/xdg-cache"
unset WASIBUILD_CACHE_DIR

native_cc=() native_name="default compiler ($(cc --version | head -n 1))"
if command -v clang-19 >/dev/null; then
  native_cc=(-DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19)
  native_name=$(clang-19 --version | head -n 1)
fi
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

# What compat.sh passes for these four projects (keep in step with its
# describe_project): cache options, CTest exclusions, the tests' environment.
project_settings() {
  options=() exclude="" test_env=()
  case $1 in
    libyaml) ;;
    utf8proc) options=(-DUTF8PROC_ENABLE_TESTING=ON) ;;
    json-c)
      options=(-DDISABLE_WERROR=ON) exclude='^test_util_file$'
      test_env=(USE_VALGRIND=0 WASIBUILD_GUEST_ENV=_JSON_C_STRERROR_ENABLE) ;;
    cmark) exclude='_library$' ;;
    *) die "unknown project $1 (this bench knows libyaml utf8proc json-c cmark)" ;;
  esac
}

# write_runner FILE BUILD_DIR: a script running that build's ctest as compat.sh does.
write_runner() {
  {
    echo '#!/bin/sh'
    printf 'exec env %s ctest --test-dir %q --timeout 600' "${test_env[*]:-}" "$2"
    [[ -n "$exclude" ]] && printf ' -E %q' "$exclude"
    echo ' "$@"'
  } >"$1"
  chmod +x "$1"
}

# time_pair DIR: median seconds of DIR/native.sh and DIR/wasm.sh -> "NATIVE WASM"
time_pair() {
  local dir=$1
  if ((HAVE_HYPERFINE)); then
    hyperfine -N --style basic --runs "$RUNS" --export-csv "$dir/times.csv" \
      -n native "$dir/native.sh" -n wasm "$dir/wasm.sh" >>"$dir/hyperfine.log" 2>&1 \
      || die "hyperfine failed (see $dir/hyperfine.log)"
    # CSV: command,mean,stddev,median,user,system,min,max
    awk -F, 'NR > 1 { printf "%s%s", sep, $4; sep = " " } END { print "" }' "$dir/times.csv"
  else
    local side i t0 t1 medians=()
    for side in native wasm; do
      : >"$dir/$side.times"
      for ((i = 0; i < RUNS; i++)); do
        t0=$(date +%s%N)
        "$dir/$side.sh" >/dev/null 2>&1 || die "$dir/$side.sh failed"
        t1=$(date +%s%N)
        echo $(((t1 - t0) / 1000)) >>"$dir/$side.times"
      done
      medians+=("$(sort -n "$dir/$side.times" | awk '{ v[NR] = $1 } END {
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.6f", m / 1e6 }')")
    done
    echo "${medians[*]}"
  fi
}

results=()
for project in "${PROJECTS[@]}"; do
  project_settings "$project"
  dir=$OUT/$project
  mkdir -p "$dir"
  log "$project: wasm build (tests/compat/compat.sh)"
  bash "$REPO_ROOT/tests/compat/compat.sh" "$project" "$SHARE" "$WB" "$dir/wasm" >"$dir/compat.log" 2>&1 \
    || die "compat.sh $project failed: $(tail -n 15 "$dir/compat.log")"

  log "$project: native build"
  cmake -G Ninja -S "$dir/wasm/src" -B "$dir/native" -DBUILD_SHARED_LIBS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "${native_cc[@]}" "${launcher[@]}" "${options[@]}" >"$dir/native-configure.log" 2>&1 \
    || die "native configure of $project failed (log: $dir/native-configure.log)"
  # utf8proc downloads its Unicode test data at configure time; compat.sh
  # put Debian's copies in the wasm build, and the native tests read the same.
  if [[ -d "$dir/wasm/build/data" ]]; then
    mkdir -p "$dir/native/data" && cp "$dir/wasm/build/data/"*.txt "$dir/native/data/"
  fi
  cmake --build "$dir/native" -j2 >"$dir/native-build.log" 2>&1 \
    || die "native build of $project failed (log: $dir/native-build.log)"

  write_runner "$dir/native.sh" "$dir/native"
  write_runner "$dir/wasm.sh" "$dir/wasm/build"
  counts=""
  for side in native wasm; do
    # Untimed first run: both sides must pass, and the wasm side's modules
    # are compiled into the cache here.
    "$dir/$side.sh" >"$dir/$side-check.log" 2>&1 || die "$project: $side tests fail (log: $dir/$side-check.log)"
    counts+="$(sed -n 's/.*tests failed out of \([0-9]*\)/\1/p' "$dir/$side-check.log") "
  done
  read -r n_native n_wasm <<<"$counts"
  [[ "$n_native" == "$n_wasm" ]] || log "warning: $project ran $n_native tests natively, $n_wasm under wasibuild"

  log "$project: timing ctest, $RUNS runs per side"
  read -r t_native t_wasm <<<"$(time_pair "$dir")"
  results+=("$project $n_wasm $t_native $t_wasm")
done

echo
echo "## compatibility-suite tests: wasibuild (warm cache) vs native"
echo
echo "wasibuild: $SRC_WB ($("$WB" --version 2>/dev/null | head -n 1), sha256 $(sha256sum "$WB" | cut -c1-16)...)"
echo "wasm toolchain: $("$WB" toolchain which 2>/dev/null | head -n 1)"
echo "native compiler: $native_name; both sides -DCMAKE_BUILD_TYPE=RelWithDebInfo, static libraries"
echo "machine: nproc $(nproc), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "load average: $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end"
if ((HAVE_HYPERFINE)); then
  echo "timing: $(hyperfine --version), ctest (serial), median wall time of $RUNS runs after one untimed run"
else
  echo "timing: date +%s%N loop, ctest (serial), median wall time of $RUNS runs after one untimed run"
fi
echo
printf '  %-10s %6s %10s %10s %8s\n' project tests "native s" "wasm s" ratio
printf '%s\n' "${results[@]}" | awk '
  { r = $4 / $3; logsum += log(r); n++
    printf "  %-10s %6s %10.3f %10.3f %8.2f\n", $1, $2, $3, $4, r }
  END { if (n) printf "  geomean wasm/native: %.2f (%d projects)\n", exp(logsum / n), n }'
echo
echo "logs and raw times: $OUT/<project>/"
exit 0
