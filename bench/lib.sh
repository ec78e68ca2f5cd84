# Shared by the bench scripts (sourced after they define OUT, log and die).

# Chooses the timer (hyperfine when installed, unless BENCH_NO_HYPERFINE),
# allows one run at a time per output directory (a second run would delete
# this one's files, and two runs would slow each other down), and records the
# load average, warning when the machine is already busy.
bench_start() {
  local script=$1
  HAVE_HYPERFINE=0
  if command -v hyperfine >/dev/null && [[ -z "${BENCH_NO_HYPERFINE:-}" ]]; then HAVE_HYPERFINE=1; else
    log "not using hyperfine (absent, or BENCH_NO_HYPERFINE set): timing with a date +%s%N loop"
  fi
  mkdir -p "$(dirname "$OUT")"
  exec 9>"$OUT.lock"
  if command -v flock >/dev/null; then
    flock -n 9 || die "another $script is already running with output in $OUT"
  fi
  LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
  awk -v l="${LOAD_START%% *}" 'BEGIN { exit !(l > 0.5) }' \
    && log "warning: load average is $LOAD_START before starting; timings will be noisy"
  return 0
}

# measure NAME RUNS WARMUP PREPARE -- CMD...  -> writes $OUT/json/NAME.json
# (hyperfine's JSON layout; the date +%s%N fallback writes the same fields)
# and prints nothing. PREPARE ("" for none) runs before every run.
measure() {
  local name=$1 runs=$2 warmup=$3 prepare=$4
  shift 5
  local json="$OUT/json/$name.json"
  if ((HAVE_HYPERFINE)); then
    local args=(-N --style basic --runs "$runs" --warmup "$warmup" --export-json "$json")
    if [[ -n "$prepare" ]]; then args+=(--prepare "$prepare"); fi
    # -N runs the command without a shell: it takes one string, so quote each word.
    hyperfine "${args[@]}" "$(printf '%q ' "$@")" >>"$OUT/hyperfine.log" 2>&1 \
      || die "hyperfine failed for $name (see $OUT/hyperfine.log)"
  else
    local i t0 t1 times=()
    for ((i = 0; i < warmup; i++)); do
      if [[ -n "$prepare" ]]; then bash -c "$prepare"; fi
      "$@" >/dev/null 2>&1
    done
    for ((i = 0; i < runs; i++)); do
      if [[ -n "$prepare" ]]; then bash -c "$prepare"; fi
      t0=$(date +%s%N)
      "$@" >/dev/null 2>&1 || die "$name failed"
      t1=$(date +%s%N)
      times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.9f", (b - a) / 1e9 }')")
    done
    node -e '
      const t = process.argv.slice(1).map(Number), s = [...t].sort((a, b) => a - b);
      const mean = t.reduce((a, b) => a + b, 0) / t.length;
      const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
      const stddev = Math.sqrt(t.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, t.length - 1));
      console.log(JSON.stringify({ results: [{ mean, median, stddev, min: s[0], max: s[s.length - 1], times: t }] }));
    ' "${times[@]}" >"$json"
  fi
}

# tstat NAME FIELD -> that field of NAME's result (median, min, ... in s), or
# cpu: mean user + system in s (0 without hyperfine)
tstat() {
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1])).results[0];
           const f = process.argv[2];
           console.log(f === "cpu" ? (r.user ?? 0) + (r.system ?? 0) : r[f]);' "$OUT/json/$1.json" "$2"
}

# bench_command NAME CMD... registers the command that measure_interleaved
# times under NAME.
declare -A BENCH_COMMANDS
bench_command() {
  local name=$1
  shift
  BENCH_COMMANDS[$name]=$(printf '%q ' "$@")
}

# measure_interleaved ROUNDS NAME... -> $OUT/json/NAME.json for each NAME, as
# measure writes it. Each round runs every named command once, in turn, so a
# change in the machine's load (other tenants of a shared host) falls on all
# of them alike, not on whichever was being timed at that moment: the ratios
# between them are what the benchmarks report.
measure_interleaved() {
  local rounds=$1 round name
  shift
  for ((round = 1; round <= rounds; round++)); do
    for name in "$@"; do
      eval "local command=(${BENCH_COMMANDS[$name]})"
      measure "$name.round$round" 1 0 "" -- "${command[@]}"
    done
  done
  for name in "$@"; do
    node -e '
      const fs = require("fs");
      const runs = process.argv.slice(2).map((f) => JSON.parse(fs.readFileSync(f)).results[0]);
      const t = runs.flatMap((r) => r.times), s = [...t].sort((a, b) => a - b);
      const avg = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const mean = avg(t);
      const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
      const stddev = Math.sqrt(t.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, t.length - 1));
      const user = avg(runs.map((r) => r.user ?? 0)), system = avg(runs.map((r) => r.system ?? 0));
      fs.writeFileSync(process.argv[1], JSON.stringify({ results: [{ mean, median, stddev, min: s[0],
        max: s[s.length - 1], user, system, times: t }] }));
    ' "$OUT/json/$name.json" "$OUT/json/$name".round*.json
    rm -f "$OUT/json/$name".round*.json
  done
}
