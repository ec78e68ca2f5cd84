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
