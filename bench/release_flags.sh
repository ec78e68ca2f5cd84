#!/usr/bin/env bash
# release_flags.sh: which compiler flags should the release profile use by
# default? Builds the CPU workloads of bench/workloads with each candidate
# (optimization level, wasm features, LTO, wasm-opt), runs every build in
# `wasibuild exec` (warm cache) and the same C compiled natively, and prints
# each candidate's geomean against native and against plain -O2.
#
#   bash bench/release_flags.sh [PATH/TO/wasibuild]
#
# Default wasibuild: build/dev/driver/wasibuild under the repository root; the
# script times a copy of it. Outputs go to build/bench-flags/ (BENCH_OUT).
#
# A candidate counts only if the runner accepts it and every workload prints
# the native checksum; one that fails is reported and left out, so the
# script also checks which wasm features Wasmtime 48 runs as configured.
# The wasm-opt candidates need binaryen's wasm-opt (apt-get install binaryen,
# or `npm install --prefix DIR binaryen` and BENCH_WASM_OPT=DIR/node_modules/.bin/wasm-opt);
# without one they are skipped.
#
# This is a benchmark, not a test: it exits 0 whatever the numbers are, and
# non-zero only if the baseline cannot be built or run.
#
# Every module is stripped of debug sections (the name section kept) before
# wasm-opt, as the release profile does: Debian's wasi-libc carries DWARF,
# and binaryen skips the passes that would invalidate DWARF it is given.
#
# Environment knobs: BENCH_OUT (default build/bench-flags), BENCH_RUNS
# (timed runs per workload and candidate, default 3), BENCH_CANDIDATES
# (names to run, space-separated, default all; O2 always runs), BENCH_WASM_OPT
# (the wasm-opt to use, default wasm-opt on PATH), BENCH_NO_HYPERFINE=1.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORKLOADS="$REPO_ROOT/bench/workloads"
OUT=${BENCH_OUT:-"$REPO_ROOT/build/bench-flags"}

WASIBUILD=${1:-"$REPO_ROOT/build/dev/driver/wasibuild"}
WASIBUILD=$(readlink -f -- "$WASIBUILD" 2>/dev/null || echo "$WASIBUILD")
RUNS=${BENCH_RUNS:-3}
WASM_OPT=${BENCH_WASM_OPT:-$(command -v wasm-opt || true)}

CC=${CC:-clang-19}
STRIP=${STRIP:-llvm-strip-19}
NATIVE_FLAGS=(-O2)
# What every wasm build shares: the toolchain file's link flags (stack first, 8 MiB).
WASM_BASE=(--target=wasm32-wasi --sysroot=/usr -Wl,--stack-first -Wl,-z,stack-size=8388608)

# name | compiler flags | wasm-opt level ("" for none). The first is the baseline.
# "release-now" is what the release profile does today: CMake's Release
# flags (-O3 -DNDEBUG), the toolchain file's (-msimd128, a maximum
# interleave of 4 for vectorized loops) and wasm-opt -Os when a wasm-opt is
# installed, inlining a function that has one caller only while it is small
# (so a trap's backtrace still names main and the user's larger functions);
# "release-inline-all" is wasm-opt's default, which inlines every such one.
CANDIDATES=(
  "O2|-O2|"
  "O3|-O3|"
  "O2-simd|-O2 -msimd128|"
  "O3-simd|-O3 -msimd128|"
  "O2-lto|-O2 -flto|"
  "O2-bulk|-O2 -mbulk-memory|"
  "O2-nontrap|-O2 -mnontrapping-fptoint|"
  "O3-simd-feat|-O3 -msimd128 -mbulk-memory -mnontrapping-fptoint|"
  "O3-relaxed|-O3 -msimd128 -mrelaxed-simd|"
  "O2+opt-O3|-O2|O3"
  "release-now|-O3 -DNDEBUG -msimd128 -mllvm -force-target-max-vector-interleave=4|Os --one-caller-inline-max-function-size=40"
  "release-inline-all|-O3 -DNDEBUG -msimd128 -mllvm -force-target-max-vector-interleave=4|Os"
  "O3+opt-O3|-O3|O3"
  "O3-simd+opt-Os|-O3 -msimd128|Os"
  "O3-simd+opt-O3|-O3 -msimd128|O3"
  "O3-simd-feat+opt-O3|-O3 -msimd128 -mbulk-memory -mnontrapping-fptoint|O3"
  "O3-simd-unroll|-O3 -msimd128 -funroll-loops|"
  "O3-simd-il4|-O3 -msimd128 -mllvm -force-vector-interleave=4|"
  "O3-simd-maxil4|-O3 -msimd128 -mllvm -force-target-max-vector-interleave=4|"
)
if [[ -n "${BENCH_CANDIDATES:-}" ]]; then
  chosen=()
  for candidate in "${CANDIDATES[@]}"; do
    cname=${candidate%%|*}
    if [[ $cname == O2 || " $BENCH_CANDIDATES " == *" $cname "* ]]; then chosen+=("$candidate"); fi
  done
  CANDIDATES=("${chosen[@]}")
fi

# name | arguments (as in exec_bench.sh: ~0.5-1 s natively at -O2)
WORKLOAD_LIST=(
  "nbody|8000000"
  "crc32|400"
  "sieve|16"
  "matmul|25 400"
  "fib|41"
  "strproc|1200"
)

log() { printf '[release_flags] %s\n' "$*" >&2; }
die() { printf '[release_flags] error: %s\n' "$*" >&2; exit 1; }

for tool in "$CC" "$STRIP" node awk; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
[[ -x "$WASIBUILD" ]] || die "wasibuild binary not found or not executable: $WASIBUILD"
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_start release_flags.sh

rm -rf "$OUT"
mkdir -p "$OUT/bin" "$OUT/json" "$OUT/out" "$OUT/home"
WASIBUILD_ORIG=$WASIBUILD
# As the toolchain file does: keep clang from running a wasm-opt it finds on
# PATH after every optimized link, so a candidate is exactly its flags (and
# its own wasm-opt step, when it names one).
WASM_BASE+=("-B$(dirname "$("$WASIBUILD_ORIG" toolchain-file)")/support/no-wasm-opt")
cp "$WASIBUILD_ORIG" "$OUT/bin/wasibuild"
WASIBUILD=$OUT/bin/wasibuild
export WASIBUILD_HOME="$OUT/home"
export WASIBUILD_CACHE_DIR="$OUT/cache"



# ----------------------------------------------------------------- build ----
WASM_OPT_VERSION="none"
if [[ -n "$WASM_OPT" ]]; then
  WASM_OPT_VERSION=$("$WASM_OPT" --version 2>/dev/null | head -n 1 || echo "unknown")
fi

log "building natively with $CC ${NATIVE_FLAGS[*]}"
for entry in "${WORKLOAD_LIST[@]}"; do
  name=${entry%%|*}
  "$CC" "${NATIVE_FLAGS[@]}" -o "$OUT/bin/$name.native" "$WORKLOADS/$name.c" -lm
done

# A candidate's state: ok, or why it was left out.
declare -A STATE BUILD_MS SIZE
for candidate in "${CANDIDATES[@]}"; do
  IFS='|' read -r cname cflags olevel <<<"$candidate"
  read -r -a flags <<<"$cflags"
  STATE[$cname]=ok
  if [[ -n "$olevel" && -z "$WASM_OPT" ]]; then
    STATE[$cname]="skipped: no wasm-opt"
    continue
  fi
  log "building $cname: $cflags${olevel:+, then wasm-opt -$olevel}"
  t0=$(date +%s%N)
  size=0
  for entry in "${WORKLOAD_LIST[@]}"; do
    name=${entry%%|*}
    wasm="$OUT/bin/$name.$cname.wasm"
    if ! "$CC" "${WASM_BASE[@]}" "${flags[@]}" -o "$wasm" "$WORKLOADS/$name.c" -lm 2>"$OUT/out/$name.$cname.cc.log"; then
      STATE[$cname]="does not build ($name: $(head -n 1 "$OUT/out/$name.$cname.cc.log"))"
      break
    fi
    "$STRIP" --strip-debug --keep-section=name "$wasm" || die "$STRIP failed on $wasm"
    if [[ -n "$olevel" ]]; then
      # As the driver runs it: -g keeps the name section.
      read -r -a opt_args <<<"-$olevel"  # the level, then any further wasm-opt flags
      if ! "$WASM_OPT" "$wasm" "${opt_args[@]}" -g -o "$wasm.opt" >"$OUT/out/$name.$cname.opt.log" 2>&1; then
        STATE[$cname]="wasm-opt fails ($name: $(head -n 1 "$OUT/out/$name.$cname.opt.log"))"
        break
      fi
      mv "$wasm.opt" "$wasm"
    fi
    size=$((size + $(stat -c %s "$wasm")))
  done
  t1=$(date +%s%N)
  BUILD_MS[$cname]=$(((t1 - t0) / 1000000))
  SIZE[$cname]=$size
done
[[ ${STATE[O2]} == ok ]] || die "the -O2 baseline does not build: ${STATE[O2]}"

# ------------------------------------------------------------- correctness ----
# One untimed run of everything: the runner must accept the module and print
# the native checksum. This also fills the compiled-code cache.
for entry in "${WORKLOAD_LIST[@]}"; do
  name=${entry%%|*}
  read -r -a args <<<"${entry#*|}"
  "$OUT/bin/$name.native" "${args[@]}" >"$OUT/out/$name.native"
  for candidate in "${CANDIDATES[@]}"; do
    cname=${candidate%%|*}
    [[ ${STATE[$cname]} == ok ]] || continue
    log "$name ${args[*]}: checking $cname (and warming the cache)"
    status=0
    "$WASIBUILD" exec "$OUT/bin/$name.$cname.wasm" "${args[@]}" >"$OUT/out/$name.$cname" 2>"$OUT/out/$name.$cname.err" \
      || status=$?
    if ((status != 0)); then
      STATE[$cname]="runner refuses or fails it ($name: exit $status: $(head -n 1 "$OUT/out/$name.$cname.err"))"
    elif ! cmp -s "$OUT/out/$name.native" "$OUT/out/$name.$cname"; then
      STATE[$cname]="wrong output ($name: $(tr '\n' ' ' <"$OUT/out/$name.$cname") vs native $(tr '\n' ' ' <"$OUT/out/$name.native"))"
    fi
  done
done
[[ ${STATE[O2]} == ok ]] || die "the -O2 baseline does not run: ${STATE[O2]}"

# ---------------------------------------------------------------- timing ----
# Workload by workload, all candidates in a row: a change in the machine's
# load then shifts one workload's candidates together.
for entry in "${WORKLOAD_LIST[@]}"; do
  name=${entry%%|*}
  read -r -a args <<<"${entry#*|}"
  log "$name ${args[*]}: timing native and each candidate ($RUNS runs each)"
  measure "$name.native" "$RUNS" 0 "" -- "$OUT/bin/$name.native" "${args[@]}"
  for candidate in "${CANDIDATES[@]}"; do
    cname=${candidate%%|*}
    [[ ${STATE[$cname]} == ok ]] || continue
    measure "$name.$cname" "$RUNS" 0 "" -- "$WASIBUILD" exec "$OUT/bin/$name.$cname.wasm" "${args[@]}"
  done
  measure "$name.native2" "$RUNS" 0 "" -- "$OUT/bin/$name.native" "${args[@]}"
done

# ---------------------------------------------------------------- report ----
# The native time of a workload is the mean of its two medians (one timed
# before the candidates, one after), which halves the effect of a load drift.
declare -A NATIVE NATIVE_CPU
for entry in "${WORKLOAD_LIST[@]}"; do
  name=${entry%%|*}
  NATIVE[$name]=$(awk -v a="$(tstat "$name.native" median)" -v b="$(tstat "$name.native2" median)" \
    'BEGIN { printf "%.6f", (a + b) / 2 }')
  NATIVE_CPU[$name]=$(awk -v a="$(tstat "$name.native" cpu)" -v b="$(tstat "$name.native2" cpu)" \
    'BEGIN { printf "%.6f", (a + b) / 2 }')
done

echo
echo "## release-profile flag candidates"
echo
echo "wasibuild: $WASIBUILD_ORIG ($("$WASIBUILD" --version 2>/dev/null | head -n 1))"
echo "load average: $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end (nproc $(nproc))"
echo "native: $CC ${NATIVE_FLAGS[*]}; wasm: $CC ${WASM_BASE[*]} + the candidate's flags, then $STRIP --strip-debug --keep-section=name"
echo "wasm-opt: ${WASM_OPT:-none} ($WASM_OPT_VERSION)"
if ((HAVE_HYPERFINE)); then
  echo "timing: $(hyperfine --version), median of $RUNS runs (wall clock), warm wasibuild cache"
else
  echo "timing: date +%s%N loop, median of $RUNS runs (wall clock), warm wasibuild cache"
fi
echo
echo "native medians (s):$(for entry in "${WORKLOAD_LIST[@]}"; do
  name=${entry%%|*}
  printf ' %s %.3f' "$name" "${NATIVE[$name]}"
done)"
echo
echo "wasm/native per workload (wall), geomeans vs native and vs the -O2 baseline (wall; CPU = user+sys):"
echo
header=$(for entry in "${WORKLOAD_LIST[@]}"; do printf ' %7s |' "${entry%%|*}"; done)
printf '| %-20s |%s %7s | %7s | %7s | %7s | %8s | %8s |\n' candidate "$header" "geo/nat" "geo/O2" "cpu/nat" "cpu/O2" \
  "KiB" "build ms"
printf '|%s|%s%s|%s|%s|%s|%s|%s|\n' ---------------------- \
  "$(for _ in "${WORKLOAD_LIST[@]}"; do printf -- '--------:|'; done)" --------: --------: --------: --------: \
  ---------: ---------:
declare -A GEO GEO_CPU
results=""
results_cpu=""
for candidate in "${CANDIDATES[@]}"; do
  cname=${candidate%%|*}
  [[ ${STATE[$cname]} == ok ]] || continue
  cells=""
  sums=$(for entry in "${WORKLOAD_LIST[@]}"; do
    name=${entry%%|*}
    echo "$(tstat "$name.$cname" median) ${NATIVE[$name]} $(tstat "$name.O2" median) $(tstat "$name.$cname" cpu)" \
      "$(tstat "$name.O2" cpu) ${NATIVE_CPU[$name]}"
  done)
  cells=$(awk '{ printf " %7.2f |", $1 / $2 }' <<<"$sums")
  read -r geo_nat geo_o2 cpu_o2 cpu_nat < <(awk '{ n++; a += log($1 / $2); b += log($1 / $3)
      if ($5 > 0) c += log($4 / $5); if ($6 > 0) d += log($4 / $6) }
    END { printf "%.3f %.3f %.3f %.3f\n", exp(a / n), exp(b / n), exp(c / n), exp(d / n) }' <<<"$sums")
  GEO[$cname]=$geo_nat
  GEO_CPU[$cname]=$cpu_o2
  results+="$geo_nat $cname"$'\n'
  results_cpu+="$cpu_o2 $cname"$'\n'
  printf '| %-20s |%s %7s | %7s | %7s | %7s | %8.1f | %8s |\n' "$cname" "$cells" "$geo_nat" "$geo_o2" "$cpu_nat" "$cpu_o2" \
    "$(awk -v s="${SIZE[$cname]}" 'BEGIN { print s / 1024 }')" "${BUILD_MS[$cname]}"
done
echo
echo "candidates (flags, then wasm-opt level):"
for candidate in "${CANDIDATES[@]}"; do
  IFS='|' read -r cname cflags olevel <<<"$candidate"
  printf '  %-20s %-50s %s\n' "$cname" "$cflags${olevel:+ + wasm-opt -$olevel}" \
    "$([[ ${STATE[$cname]} == ok ]] && echo ok || echo "LEFT OUT: ${STATE[$cname]}")"
done

# Candidates often produce the very same code for a workload; timings of
# identical code differ only by this machine's noise, which puts the table's
# differences in proportion.
echo
echo "byte-identical code (workload=the first candidate with the same code, data and features):"
declare -A FIRST_WITH
identical_any=0
for candidate in "${CANDIDATES[@]}"; do
  cname=${candidate%%|*}
  [[ ${STATE[$cname]} == ok ]] || continue
  identical=()
  for entry in "${WORKLOAD_LIST[@]}"; do
    name=${entry%%|*}
    # Compared without custom sections: the name section holds the output's file name.
    "$STRIP" --strip-all -o "$OUT/compare.wasm" "$OUT/bin/$name.$cname.wasm" || die "$STRIP failed on $name.$cname.wasm"
    key="$name:$(sha256sum <"$OUT/compare.wasm" | cut -c1-64)"
    if [[ -n "${FIRST_WITH[$key]:-}" ]]; then identical+=("$name=${FIRST_WITH[$key]}"); else FIRST_WITH[$key]=$cname; fi
  done
  if ((${#identical[@]})); then
    printf '  %-20s %s\n' "$cname" "${identical[*]}"
    identical_any=1
  fi
done
((identical_any)) || echo "  none"

# fastest LABEL RESULTS: the two best "value name" lines, and whether they are within 3 %.
fastest() {
  local best second
  best=$(grep . <<<"$2" | sort -n | sed -n 1p)
  second=$(grep . <<<"$2" | sort -n | sed -n 2p)
  echo "fastest by $1: ${best#* } (${best%% *}); next: ${second#* } (${second%% *})" \
    "$(awk -v a="${best%% *}" -v b="${second%% *}" 'BEGIN { if (b / a < 1.03) print "- within 3 %, below this machine'"'"'s noise" }')"
}
echo
fastest "wall-clock geomean vs native" "$results"
fastest "CPU-time geomean vs -O2" "$results_cpu"
echo
echo "raw data: $OUT/json/*.json"
exit 0
