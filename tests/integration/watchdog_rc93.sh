# The rc93 seccomp hang, imitated faithfully (tests/helpers/fake_rc93_runc.cpp): without runc-guard start
# and exec hang; through runc-guard they return within 1 s, the program arrives intact and the container
# process runs with its filter.
source "$(dirname "$0")/watchdog_lib.bash"

# check_report FILE: the init read back exactly what it exported, through a 4096 B pipe, and loaded it.
check_report() {
  [ -f "$1" ] || fail "no init report $1 (the init never got past the export)"
  jq -e '.intact == true and .loaded == true and .pipe_size == 4096 and .program_bytes > 8192' "$1" >/dev/null ||
    fail "init report $1: $(cat "$1")"
}

# ---- Without runc-guard: the hang, shown with a bounded wait ----
"$FAKE" --root "$ROOT" create --bundle "$BUNDLE" bare >/dev/null 2>&1 || fail "bare create failed"
rc=0
timeout 3 "$FAKE" --root "$ROOT" start bare || rc=$?
[ "$rc" = 124 ] || fail "bare start returned $rc: the imitation should hang like rc93"
pid=$(init_pid_of bare)
wchan=$(cat "/proc/$pid/wchan")
case "$wchan" in anon_pipe_write | pipe_write | pipe_wait) ;; *) fail "bare init not in a pipe write: wchan=$wchan" ;; esac
grep -q '^1 0x' "/proc/$pid/syscall" || fail "bare init not in write(2): $(cat "/proc/$pid/syscall")"
"$FAKE" --root "$ROOT" delete --force bare
"$FAKE" --root "$ROOT" run -d --bundle "$BUNDLE" bare-exec-host >/dev/null 2>&1 &
run_pid=$!
sleep 2
kill -0 $run_pid 2>/dev/null || fail "bare run -d did not hang"
{ kill -9 $run_pid && wait $run_pid; } 2>/dev/null || true
"$FAKE" --root "$ROOT" delete --force bare-exec-host
echo "ok: without runc-guard start and run hang in a pipe write ($wchan)"

# ---- create + start through runc-guard ----
"$GUARD" --root "$ROOT" --log "$LOG" --log-format json create --bundle "$BUNDLE" c1 >/dev/null 2>&1 ||
  fail "create through runc-guard failed"
t0=$(ms)
timeout 10 "$GUARD" --root "$ROOT" --log "$LOG" --log-format json start c1 || fail "start through runc-guard failed"
elapsed=$(($(ms) - t0))
[ $elapsed -le 1000 ] || fail "start took ${elapsed} ms (> 1 s)"
check_report "$ROOT/c1/init-report.json"
pid=$(init_pid_of c1)
[ "$(cat "/proc/$pid/comm")" = sleep ] || fail "the container process is not running: comm $(cat "/proc/$pid/comm")"
[ "$(seccomp_mode_of "$pid")" = 2 ] || fail "container process runs without its filter (Seccomp: $(seccomp_mode_of "$pid"))"
[ "$(events_named init.unstuck | jq -r .details.pid)" = "$pid" ] || fail "no init.unstuck event for $pid: $(cat "$EVENTS")"
events_named init.unstuck | jq -e '.details.fd >= 0 and .details.bytes_before == 4096 and .details.pipe_size_after >= 12152 and .details.latency_ms < 250' >/dev/null ||
  fail "init.unstuck details: $(events_named init.unstuck)"
events_named init.blocked | jq -e '.details.read_end_held == true and .details.action == "unstick"' >/dev/null ||
  fail "init.blocked details: $(events_named init.blocked)"
[ ! -s "$LOG" ] || fail "success path wrote to --log: $(cat "$LOG")"
grep -qx 'runc_guard_init_unstuck_total 1' "$WORK/metrics/runc_guard.prom" ||
  fail "init_unstuck metric: $(cat "$WORK/metrics/runc_guard.prom" 2>&1)"
grep -qx 'runc_guard_init_blocked_total 1' "$WORK/metrics/runc_guard.prom" || fail "init_blocked metric"
echo "ok: start returned in ${elapsed} ms, program intact ($(jq .program_bytes "$ROOT/c1/init-report.json") B), Seccomp: 2"

# ---- exec -d and exec through runc-guard (setns init) ----
t0=$(ms)
timeout 10 "$GUARD" --root "$ROOT" exec -d --pid-file "$WORK/exec.pid" c1 /bin/sleep 300 || fail "exec -d failed"
elapsed=$(($(ms) - t0))
[ $elapsed -le 1000 ] || fail "exec -d took ${elapsed} ms (> 1 s)"
epid=$(cat "$WORK/exec.pid")
check_report "$ROOT/c1/exec-$epid.json"
[ "$(seccomp_mode_of "$epid")" = 2 ] || fail "exec'd process without its filter"
echo "ok: exec -d returned in ${elapsed} ms, Seccomp: 2"

t0=$(ms)
out=$(timeout 10 "$GUARD" --root "$ROOT" exec c1 /bin/sh -c 'grep "^Seccomp:" /proc/self/status; exit 7') && rc=0 || rc=$?
elapsed=$(($(ms) - t0))
[ "$rc" = 7 ] || fail "exec exit status $rc, the process's was 7"
[ "$(echo "$out" | awk '{print $2}')" = 2 ] || fail "exec'd process output: $out"
[ $elapsed -le 1000 ] || fail "exec took ${elapsed} ms (> 1 s)"
echo "ok: exec (foreground) returned in ${elapsed} ms with the process's status 7 and Seccomp: 2"

# ---- run -d ----
t0=$(ms)
timeout 10 "$GUARD" --root "$ROOT" run -d --bundle "$BUNDLE" c2 >/dev/null 2>&1 || fail "run -d failed"
elapsed=$(($(ms) - t0))
[ $elapsed -le 1000 ] || fail "run -d took ${elapsed} ms (> 1 s)"
check_report "$ROOT/c2/init-report.json"
[ "$(seccomp_mode_of "$(init_pid_of c2)")" = 2 ] || fail "run -d process without its filter"
echo "ok: run -d returned in ${elapsed} ms"

[ "$(events_named init.unstuck | wc -l)" = 4 ] || fail "expected 4 init.unstuck events: $(events_named init.unstuck)"
[ -z "$(events_named init.killed)" ] || fail "something was killed: $(events_named init.killed)"
expect_no_watchdog_within 1
echo "ok: no watchdog left behind"
