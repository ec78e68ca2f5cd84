#!/usr/bin/env bash
# compat_bench.sh: the compatibility suite's wall time, per project and per
# phase (configure, build, test), under wasibuild against the same sources
# built and tested natively in the same run. Prints ratios; there is no target.
#
#   bash bench/compat_bench.sh [PATH/TO/wasibuild] [PROJECT...]
#
# PROJECTs are cases of tests/compat/compat.sh (default: libyaml utf8proc
# json-c cmark, whose tests run quickly; BENCH_PROJECTS also sets the list).
# The default four take about 5 minutes on 2 cores; libxml2 alone adds
# several.
#
# Wasm side: tests/compat/compat.sh itself, unchanged: fetch (or reuse) the
# Debian source, extract, configure with share/wasibuild/cmake/wasi.cmake,
# build with -j2, run the project's tests (CTest, a test target, or its
# programs through their launchers, as compat.sh decides). Its output is
# timestamped line by line; the phases are the spans between its "== compat
# PROJECT: configuring / building / running" lines. "prepare" (fetching,
# extracting, cross-building dependencies) is shown but not compared. The
# test phase is the first run, with an empty compiled-code cache: every test
# program is compiled by Cranelift there.
#
# Native side: the same extracted source, configured with plain `cmake -G
# Ninja` (clang-19 when installed, else the default compiler) with the cache
# options, build type and static libraries compat.sh uses (its
# describe_project is read from compat.sh, so the two stay in step), built
# with -j2, then its tests run the same way (same CTest exclusions and
# environment). Projects that cross-build a dependency first get no native
# side. ccache is off on both sides (CCACHE_DISABLE=1), so "build" is real
# compiling.
#
# Then each side's tests run BENCH_RUNS more times (default 3; median wall
# time, hyperfine when installed): the warm figure, where the wasm side's
# modules come from the compiled-code cache.
#
# The compat sources stay in the shared cache (WASIBUILD_COMPAT_CACHE,
# default ~/.cache/wasibuild-dev/compat-sources); wasibuild's home and the
# XDG cache are inside BENCH_OUT (default build/bench-compat), so the
# compiled-code cache measured here is this run's own. The wasibuild binary
# (default build/dev/driver/wasibuild, with ../share/wasibuild) is copied
# into BENCH_OUT first, so a rebuild of the tree during the run cannot
# change it. The toolchain's one-time capability probe runs before the first
# project, untimed. That home has no binaryen installed: for projects that
# need setjmp (cjson) with a toolchain that lacks it, set WASIBUILD_WASM_OPT
# (WASIBUILD_DEV_WASM_OPT of the developer setup is used when it is unset).
#
# Environment knobs: BENCH_OUT, BENCH_RUNS, BENCH_PROJECTS, BENCH_NO_HYPERFINE=1.
# A project whose build or tests fail is reported as such and the others
# still run; the script then exits non-zero.
set -euo pipefail
export LC_ALL=C # EPOCHREALTIME and printf with a decimal point

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${BENCH_OUT:-"$REPO_ROOT/build/bench-compat"}
SRC_WB=$(readlink -f -- "${1:-"$REPO_ROOT/build/dev/driver/wasibuild"}" 2>/dev/null || echo "${1:-}")
shift $(($# > 0 ? 1 : 0))
RUNS=${BENCH_RUNS:-3}
COMPAT_SH=$REPO_ROOT/tests/compat/compat.sh
if (($# > 0)); then PROJECTS=("$@"); else read -r -a PROJECTS <<<"${BENCH_PROJECTS:-libyaml utf8proc json-c cmark}"; fi

log() { printf '[compat_bench] %s\n' "$*" >&2; }
die() { printf '[compat_bench] error: %s\n' "$*" >&2; exit 1; }

missing=$(for t in cmake ninja ctest awk; do command -v "$t" >/dev/null || printf ' %s' "$t"; done)
[[ -z "$missing" ]] || die "not on PATH:$missing"
SRC_SHARE=$(dirname "$(dirname "$SRC_WB")")/share/wasibuild
[[ -x "$SRC_WB" && -f "$SRC_SHARE/cmake/wasi.cmake" ]] ||
  die "need an executable wasibuild with ../share/wasibuild/cmake/wasi.cmake next to it (got: ${SRC_WB:-nothing})"
[[ ${BASH_VERSINFO[0]} -ge 5 ]] || die "needs bash 5 (EPOCHREALTIME)"

# compat.sh's describe_project: per project its cache options, CTest
# exclusions, test environment, how the tests run and its dependencies.
describe=$(sed -n '/^describe_project() {$/,/^}$/p' "$COMPAT_SH")
[[ -n "$describe" ]] || die "no describe_project() in $COMPAT_SH"
eval "$describe"
fail() { die "$project: $*"; }
for project in "${PROJECTS[@]}"; do
  work_dir=/nonexistent describe_project # dies on an unknown project, before anything is timed
done

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_start compat_bench.sh

# Resolve the shared caches before XDG_CACHE_HOME moves into OUT.
export WASIBUILD_COMPAT_CACHE=${WASIBUILD_COMPAT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wasibuild-dev/compat-sources}
export CCACHE_DISABLE=1
# setjmp for a toolchain without it needs binaryen's wasm-opt, which the
# private home below has not installed: take WASIBUILD_WASM_OPT, or the
# developer setup's WASIBUILD_DEV_WASM_OPT (as the test suite does).
if [[ -z "${WASIBUILD_WASM_OPT:-}" && -n "${WASIBUILD_DEV_WASM_OPT:-}" ]]; then
  export WASIBUILD_WASM_OPT=$WASIBUILD_DEV_WASM_OPT
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
"$WB" toolchain which >"$OUT/which.log" 2>&1 || die "no toolchain resolves: $(cat "$OUT/which.log")"

native_cc=() native_name="default compiler ($(cc --version | head -n 1))"
if command -v clang-19 >/dev/null; then
  native_cc=(-DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19)
  native_name=$(clang-19 --version | head -n 1)
fi

# write_runner FILE BUILD_DIR: a script running that build's tests the way
# compat.sh runs them (from describe_project's variables).
write_runner() {
  local file=$1 build=$2 program
  {
    echo '#!/bin/sh'
    echo 'set -e'
    if ((${#launched_tests[@]} > 0)); then
      printf 'cd %q\n' "$build"
      for program in "${launched_tests[@]}"; do printf './%q\n' "$program"; done
    elif ((${#test_targets[@]} > 0)); then
      printf 'exec env %s cmake --build %q --target %s\n' "${test_env[*]:-}" "$build" "${test_targets[*]}"
    else
      printf 'exec env %s ctest --test-dir %q --timeout 600' "${test_env[*]:-}" "$build"
      [[ -n "$exclude" ]] && printf ' -E %q' "$exclude"
      echo
    fi
  } >"$file"
  chmod +x "$file"
}

# time_pair DIR: median seconds of DIR/native.sh and DIR/wasm.sh -> "NATIVE WASM"
time_pair() {
  local dir=$1
  if ((HAVE_HYPERFINE)); then
    hyperfine -N --style basic --runs "$RUNS" --export-csv "$dir/times.csv" \
      -n native "$dir/native.sh" -n wasm "$dir/wasm.sh" >>"$dir/hyperfine.log" 2>&1 \
      || return 1
    # CSV: command,mean,stddev,median,user,system,min,max
    awk -F, 'NR > 1 { printf "%s%s", sep, $4; sep = " " } END { print "" }' "$dir/times.csv"
  else
    local side i t0 t1 medians=()
    for side in native wasm; do
      : >"$dir/$side.times"
      for ((i = 0; i < RUNS; i++)); do
        t0=$EPOCHREALTIME
        "$dir/$side.sh" >/dev/null 2>&1 || return 1
        t1=$EPOCHREALTIME
        echo "$t0 $t1" | awk '{ printf "%.6f\n", $2 - $1 }' >>"$dir/$side.times"
      done
      medians+=("$(sort -n "$dir/$side.times" | awk '{ v[NR] = $1 } END {
        printf "%.6f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')")
    done
    echo "${medians[*]}"
  fi
}

# timed CMD...: runs CMD, sets ELAPSED (seconds); returns CMD's status.
timed() {
  local t0=$EPOCHREALTIME status=0
  "$@" || status=$?
  ELAPSED=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
  return $status
}

# stamp_lines: each input line prefixed with the time it arrived.
stamp_lines() {
  local line
  while IFS= read -r line || [[ -n "$line" ]]; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done
}

# One line per project for the report:
#   PROJECT STATUS TESTS W_PREP W_CONF W_BUILD W_TEST W_WARM N_CONF N_BUILD N_TEST N_WARM W_TOTAL
# ("-" where there is no figure).
results=()
failed=()
for project in "${PROJECTS[@]}"; do
  dir=$OUT/$project
  mkdir -p "$dir"
  work_dir=$dir/wasm
  describe_project
  row=() status=ok
  w=(- - - - -) n=(- - - -) tests=-

  log "$project: tests/compat/compat.sh (wasm: fetch, configure, build, test)"
  t_start=$EPOCHREALTIME
  set +e
  bash "$COMPAT_SH" "$project" "$SHARE" "$WB" "$work_dir" 2>&1 | stamp_lines >"$dir/compat.log"
  compat_status=${PIPESTATUS[0]}
  set -e
  t_end=$EPOCHREALTIME
  mark() { awk -v p="== compat $project: $1" 'index($0, p) == length($1) + 2 { print $1; exit }' "$dir/compat.log"; }
  t_conf=$(mark configuring) t_build=$(mark building) t_test=$(mark running)
  span() { [[ -n "$1" && -n "$2" ]] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }' || echo -; }
  w[0]=$(span "$t_start" "$t_conf") w[1]=$(span "$t_conf" "$t_build") w[2]=$(span "$t_build" "$t_test")
  w[3]=$(span "$t_test" "$t_end")
  total=$(span "$t_start" "$t_end")
  if ((compat_status != 0)); then
    status=failed
    if [[ -z "$t_build" ]]; then w[1]=-; status=configure-failed
    elif [[ -z "$t_test" ]]; then w[2]=-; status=build-failed
    else w[3]=-; status=tests-failed; fi
    failed+=("$project ($status; log: $dir/compat.log)")
  else
    tests=$(sed -n 's/^.*: \([0-9]*\) tests passed.*/\1/p' "$work_dir/result.txt")
  fi

  if [[ $status == ok && ${#dependencies[@]} -eq 0 ]]; then
    log "$project: native configure, build, test"
    native=$dir/native
    if ! timed cmake -G Ninja -S "$work_dir/src/$subdir" -B "$native" -DBUILD_SHARED_LIBS=OFF \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo "${native_cc[@]}" "${cmake_args[@]}" >"$dir/native-configure.log" 2>&1; then
      failed+=("$project (native configure; log: $dir/native-configure.log)")
    else
      n[0]=$ELAPSED
      # utf8proc: compat.sh put Debian's Unicode data into the wasm build
      # after configuring; the native tests read the same files.
      if [[ -d "$work_dir/build/data" ]]; then
        mkdir -p "$native/data" && cp "$work_dir/build/data/"*.txt "$native/data/"
      fi
      if ! timed cmake --build "$native" -j2 >"$dir/native-build.log" 2>&1; then
        failed+=("$project (native build; log: $dir/native-build.log)")
      else
        n[1]=$ELAPSED
        write_runner "$dir/native.sh" "$native"
        write_runner "$dir/wasm.sh" "$work_dir/build"
        if ! timed "$dir/native.sh" >"$dir/native-test.log" 2>&1; then
          failed+=("$project (native tests; log: $dir/native-test.log)")
        else
          n[2]=$ELAPSED
          log "$project: timing the tests again, $RUNS runs per side"
          if read -r "n[3]" "w[4]" < <(time_pair "$dir") && [[ -n "${w[4]}" ]]; then :; else
            failed+=("$project (a timed test run failed; rerun $dir/native.sh and $dir/wasm.sh)")
            n[3]=- w[4]=-
          fi
        fi
      fi
    fi
  fi
  results+=("$project $status $tests ${w[*]} ${n[*]} $total")
done

echo
echo "## compatibility suite: wall time per phase, wasibuild vs native"
echo
echo "wasibuild: $SRC_WB ($("$WB" --version 2>/dev/null | head -n 1), sha256 $(sha256sum "$WB" | cut -c1-16)...)"
echo "wasm toolchain: $(head -n 1 "$OUT/which.log")"
echo "wasm-opt for setjmp: ${WASIBUILD_WASM_OPT:-none given (WASIBUILD_WASM_OPT unset)}"
echo "native compiler: $native_name; both sides -DCMAKE_BUILD_TYPE=RelWithDebInfo, static libraries, -j2, no ccache"
echo "machine: nproc $(nproc), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "load average: $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end"
echo "timing: wasm configure/build/first test from compat.sh's timestamped output, native ones timed once;" \
  "warm tests: $( ((HAVE_HYPERFINE)) && hyperfine --version || echo 'date loop'), median of $RUNS runs"
echo
printf '  %-10s %5s  %-10s %9s %9s %7s\n' project tests phase "wasm s" "native s" ratio
printf '%s\n' "${results[@]}" | awk '
  function ratio(a, b) { return (a == "-" || b == "-" || b == 0) ? "-" : sprintf("%.2f", a / b) }
  function num(x) { return x == "-" ? "-" : sprintf("%.2f", x) }
  function line(p, t, phase, a, b) {
    printf "  %-10s %5s  %-10s %9s %9s %7s\n", p, t, phase, num(a), num(b), ratio(a, b)
  }
  { p = $1; status = $2; t = $3
    line(p, t, "prepare", $4, "-")
    line("", "", "configure", $5, $9); line("", "", "build", $6, $10)
    line("", "", "test", $7, $11); line("", "", "test warm", $8, $12)
    printf "  %-10s %5s  %-10s %9s%s\n", "", "", "compat.sh", num($13), status == "ok" ? "" : "   (" status ")"
    if ($13 != "-") sum += $13
    for (i = 0; i < 4; i++) if ($(5 + i) != "-" && $(9 + i) != "-" && $(9 + i) > 0) {
      logsum[i] += log($(5 + i) / $(9 + i)); cnt[i]++ } }
  END {
    printf "  compat.sh wall time, all %d projects: %.1f s\n", NR, sum
    split("configure build test test-warm", names, " ")
    for (i = 0; i < 4; i++) if (cnt[i])
      printf "  geomean wasm/native, %-10s %.2f (%d projects)\n", names[i + 1] ":", exp(logsum[i] / cnt[i]), cnt[i] }'
echo
echo "test: the first run (wasm: empty compiled-code cache); test warm: median of $RUNS further runs"
echo "logs and raw times: $OUT/<project>/"
if ((${#failed[@]} > 0)); then
  printf 'failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
exit 0
