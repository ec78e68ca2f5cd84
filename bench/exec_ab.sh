#!/usr/bin/env bash
# exec_ab.sh: did a change make `wasibuild exec` start slower? Times a warm
# `exec` (compiled-code cache filled) of one module with two wasibuild
# binaries, interleaved run by run so a shared machine's load falls on both
# alike, and prints each one's median and the ratio NEW/OLD.
#
#   bash bench/exec_ab.sh OLD_WASIBUILD NEW_WASIBUILD MODULE [RUNS] [-- EXEC_FLAGS...]
#
# EXEC_FLAGS go before MODULE on both sides (e.g. -- --private-tmp --dir-build .::.).
# A benchmark, not a test: it prints numbers and exits 0.
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,10p' "$0"; exit 2; }
old=$1 new=$2 module=$3 runs=${4:-200}
shift 3; [ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
flags=("$@")
home=$(mktemp -d); trap 'rm -rf "$home"' EXIT
export WASIBUILD_HOME=$home
"$old" exec "${flags[@]}" "$module" >/dev/null || true
"$new" exec "${flags[@]}" "$module" >/dev/null || true
for ((i = 0; i < runs; i++)); do
  for side in old new; do
    binary=$old; [ "$side" = new ] && binary=$new
    start=$(date +%s%N); "$binary" exec "${flags[@]}" "$module" >/dev/null || true; end=$(date +%s%N)
    echo "$side $(((end - start) / 1000))"
  done
done | python3 -c '
import statistics, sys
times = {"old": [], "new": []}
for line in sys.stdin:
    side, micros = line.split()
    times[side].append(int(micros) / 1000)
for side in ("old", "new"):
    print(f"{side}: median {statistics.median(times[side]):.2f} ms over {len(times[side])} runs")
ratio = statistics.median(times["new"]) / statistics.median(times["old"])
print(f"new/old: {ratio:.3f}")
'
