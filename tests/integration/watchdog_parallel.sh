# 20 rc93-style inits blocked at the same time (20 `start`s in parallel) are all un-stuck, every program
# intact and every container process running with its filter.
source "$(dirname "$0")/watchdog_lib.bash"

N=20
for i in $(seq 1 $N); do
  "$GUARD" --root "$ROOT" create --bundle "$BUNDLE" "p$i" >/dev/null 2>&1 || fail "create p$i failed"
done
t0=$(ms)
pids=()
for i in $(seq 1 $N); do
  timeout 30 "$GUARD" --root "$ROOT" start "p$i" 2>"$WORK/start-p$i.err" &
  pids+=($!)
done
for i in $(seq 1 $N); do
  wait "${pids[$((i - 1))]}" || fail "start p$i failed: $(cat "$WORK/start-p$i.err")"
done
elapsed=$(($(ms) - t0))
for i in $(seq 1 $N); do
  jq -e '.intact and .loaded and .pipe_size == 4096' "$ROOT/p$i/init-report.json" >/dev/null ||
    fail "p$i: $(cat "$ROOT/p$i/init-report.json" 2>/dev/null || echo 'no report')"
  [ "$(seccomp_mode_of "$(init_pid_of "p$i")")" = 2 ] || fail "p$i runs without its filter"
done
[ "$(events_named init.unstuck | wc -l)" = $N ] || fail "$(events_named init.unstuck | wc -l) of $N un-stuck"
p95=$(events_named init.unstuck | jq -s '[.[].details.latency_ms] | sort | .[(length * 95 / 100 | floor)]')
expect_no_watchdog_within 2
echo "ok: $N parallel starts all un-stuck in ${elapsed} ms total; un-stick latency p95 ${p95} ms"
