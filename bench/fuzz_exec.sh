#!/usr/bin/env bash
# fuzz_exec.sh: does any module, however malformed or hostile, crash or hang
# the host side of `wasibuild exec`?
#
#   bash bench/fuzz_exec.sh [PATH/TO/wasibuild [COUNT [SEED]]]
#
# Default wasibuild: build/release/driver/wasibuild under the repository root;
# the script runs a copy of it (in $FUZZ_OUT/bin), so a rebuild during the run
# cannot disturb it. COUNT cases (default 3000) are derived from SEED (default
# fixed, printed): the same seed and count give the same cases.
#
# The corpus (bench/fuzz_exec.py): the test fixtures' .wasm files from the
# binary's build tree (and build/*/tests/fixtures under the repository root),
# hand-encoded modules that attack the host's limits (start functions that
# loop, trap, sleep or call proc_exit; tables of 10 000 000 elements and
# table.grow bombs; 100 memories of 62.5 MiB; memory.grow loops; deep
# recursion; 20 000 functions, 50 000 locals; unknown imports) and the same
# attacks as WAT text (also through binaryen's wasm-as when installed). Each
# case is a seed with 1-3 mutations (byte flips, insertions, deletions,
# section duplication and removal, LEB128 size and count corruption,
# truncation, splicing two modules), or, for about 10 %, a seed as it is.
#
# Each case runs as
#   wasibuild exec --timeout 2s --max-memory 256MiB --fuel 100000000 --no-cache CASE.wasm
# with stdin from /dev/null, in a fresh directory, 2 at a time, and is killed
# from outside after 20 s. Outcomes: exited (the guest's own status),
# timeout (124), runner error (125), trap (134); HOST CRASH (wasibuild killed
# by a signal of its own), HANG (the 20 s kill) and UNEXPECTED (any other
# status, or a Rust panic or sanitizer report on stderr); a `wasibuild:` stderr
# line over 4 KiB is flagged too (errors must cap what they echo).
#
# This is a benchmark-style run, not a timed assertion: it prints a summary
# table (counts, runs per second, peak RSS of the largest case), keeps every
# crashing, hanging, unexpected or long-stderr case in
# $FUZZ_CRASHES/run-<date>-seed<SEED>/ with the command that replays it, and
# exits non-zero only on a host crash or a hang (or if it cannot run at all).
#
# Environment knobs: FUZZ_OUT (working directory, default build/fuzz-exec),
# FUZZ_CRASHES (kept cases, default /tmp/wasibuild-fuzz-crashes), FUZZ_JOBS
# (workers, 1 or 2, default 2), FUZZ_KILL_AFTER (external kill in s, default 20).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR="$REPO_ROOT/bench"
OUT=${FUZZ_OUT:-"$REPO_ROOT/build/fuzz-exec"}
CRASHES=${FUZZ_CRASHES:-/tmp/wasibuild-fuzz-crashes}

WASIBUILD=${1:-"$REPO_ROOT/build/release/driver/wasibuild"}
WASIBUILD=$(readlink -f -- "$WASIBUILD" 2>/dev/null || echo "$WASIBUILD")
COUNT=${2:-3000}
SEED=${3:-20261212}

log() { printf '[fuzz_exec] %s\n' "$*" >&2; }
die() { printf '[fuzz_exec] error: %s\n' "$*" >&2; exit 2; }

command -v python3 >/dev/null || die "python3 not found"
[[ -x "$WASIBUILD" ]] || die "wasibuild binary not found or not executable: $WASIBUILD"
[[ "$COUNT" =~ ^[0-9]+$ && "$SEED" =~ ^[0-9]+$ ]] || die "COUNT and SEED must be numbers (got '$COUNT', '$SEED')"
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
bench_start fuzz_exec.sh

rm -rf "$OUT"
mkdir -p "$OUT/bin"
# Run a private copy of the binary, so that a rebuild of the tree during the
# run cannot mix two builds or fail a run.
cp "$WASIBUILD" "$OUT/bin/wasibuild"
WASIBUILD_SHA=$(sha256sum "$OUT/bin/wasibuild" | cut -c1-16)

# Seed fixtures: the binary's own build tree first, then any under the repository.
fixture_dirs=()
BINARY_BUILD=$(dirname "$(dirname "$WASIBUILD")")
for dir in "$BINARY_BUILD/tests/fixtures" "$REPO_ROOT"/build/*/tests/fixtures; do
  [[ -d "$dir" ]] && fixture_dirs+=(--fixtures "$dir")
done

# The commit of the source tree the binary was built from (as far as its path tells).
BINARY_REPO=$(git -C "$BINARY_BUILD" rev-parse --show-toplevel 2>/dev/null || true)
BINARY_COMMIT=$( [[ -n "$BINARY_REPO" ]] && git -C "$BINARY_REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)

log "fuzzing $WASIBUILD (sha256 $WASIBUILD_SHA..., tree at $BINARY_COMMIT): $COUNT cases, seed $SEED"
echo
echo "## wasibuild exec fuzz run"
echo
echo "wasibuild: $WASIBUILD ($("$OUT/bin/wasibuild" --version 2>/dev/null | head -n 1), sha256 $WASIBUILD_SHA...," \
  "source tree at $BINARY_COMMIT)"
echo "command: bash bench/fuzz_exec.sh $WASIBUILD $COUNT $SEED"
echo "load average: $LOAD_START at start (nproc $(nproc))"
status=0
python3 "$BENCH_DIR/fuzz_exec.py" --wasibuild "$OUT/bin/wasibuild" --count "$COUNT" --seed "$SEED" \
  --out "$CRASHES" --jobs "${FUZZ_JOBS:-2}" --kill-after "${FUZZ_KILL_AFTER:-20}" \
  --results "$OUT/results.jsonl" --replay-binary "$WASIBUILD" "${fixture_dirs[@]}" || status=$?
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "per-case results: $OUT/results.jsonl"
exit "$status"
