# The hard deadline: an init blocked in something that cannot be un-stuck is killed with runc, `runc delete
# --force` runs with the same global flags, and the user's error line is in log.json, all within deadline +
# 2 s. A slow but healthy init (3 s) is never killed with a 10 s deadline. These two are what the faithful
# rc93 imitation (tests/helpers/fake_rc93_runc) can do and the real rc93 cannot; observe mode and
# watchdog.unstick=false are tested with the real rc93 (rc93_real_hang.sh).
source "$(dirname "$0")/watchdog_lib.bash"

# ---- stuck init (a full pipe only runc reads), deadline 2 s, create ----
guard_config '{"init_timeout_s": 2}'
t0=$(ms)
rc=0
{ FAKE_RC93_MODE=stuck timeout 20 "$GUARD" --root "$ROOT" --log "$LOG" --log-format json create --bundle "$BUNDLE" stuck \
  >/dev/null 2>&1 || rc=$?; } 2>/dev/null
elapsed=$(($(ms) - t0))
[ "$rc" = 137 ] || fail "create exit status $rc; runc killed by SIGKILL is 137"
[ $elapsed -le 4000 ] || fail "deadline 2 s, create returned after ${elapsed} ms (> deadline + 2 s)"
msg=$(tail -n1 "$LOG" | jq -r 'select(.level == "error") | .msg')
[[ "$msg" =~ ^"runc-guard: runc init did not finish within 2s (blocked writing fd "[0-9]+", pipe "[0-9]+" B full); killed and cleaned up"$ ]] ||
  fail "error line in log.json: $(tail -n1 "$LOG")"
expect_no_watchdog_within 2  # the delete --force has finished once the watchdog is gone
grep -qx -- "--root $ROOT --log $LOG --log-format json delete --force stuck" "$ROOT/delete.log" ||
  fail "delete --force not invoked with the same global flags: $(cat "$ROOT/delete.log" 2>/dev/null)"
[ ! -e "$ROOT/stuck" ] || fail "state dir left behind"
for p in $(pgrep -x "runc:\[2:INIT\]" || true); do
  ! cat "/proc/$p/environ" 2>/dev/null | tr '\0' '\n' | grep -qx "RUNC_GUARD_CONFIG=$RUNC_GUARD_CONFIG" ||
    fail "init $p survived the deadline"
done
events_named init.blocked | jq -e '.details.read_end_held == false and (.details.action | startswith("report"))' >/dev/null ||
  fail "the foreign pipe must be reported, not touched: $(events_named init.blocked)"
[ -z "$(events_named init.unstuck)" ] || fail "a pipe another process reads was touched"
events_named init.killed | jq -e '.details.inits_killed | length == 1' >/dev/null || fail "init.killed: $(events_named init.killed)"
events_named init.killed | jq -e '.details.runc_killed == true and .details.delete_force_exit == 0' >/dev/null ||
  fail "init.killed: $(events_named init.killed)"
echo "ok: stuck init killed after ${elapsed} ms, delete --force run, log.json says: $msg"

# ---- the same through exec: runc exec and its init killed, the container itself left alone ----
guard_config '{"init_timeout_s": 2}'
FAKE_RC93_MODE=healthy "$GUARD" --root "$ROOT" run -d --bundle "$BUNDLE" host >/dev/null 2>&1 || fail "run -d host failed"
host_init=$(init_pid_of host)
: >"$LOG"
: >"$EVENTS"
rm -f "$ROOT/delete.log"
t0=$(ms)
rc=0
{ FAKE_RC93_MODE=stuck timeout 20 "$GUARD" --root "$ROOT" --log "$LOG" --log-format json exec host /bin/true || rc=$?; } 2>/dev/null
elapsed=$(($(ms) - t0))
[ "$rc" = 137 ] || fail "exec exit status $rc; expected 137"
[ $elapsed -le 4000 ] || fail "exec deadline: returned after ${elapsed} ms"
msg=$(tail -n1 "$LOG" | jq -r .msg)
[[ "$msg" =~ ^"runc-guard: runc init did not finish within 2s (blocked writing fd "[0-9]+", pipe "[0-9]+" B full); killed"$ ]] ||
  fail "exec error line: $(tail -n1 "$LOG")"
expect_no_watchdog_within 2
[ ! -e "$ROOT/delete.log" ] || fail "delete --force after an exec: $(cat "$ROOT/delete.log")"
kill -0 "$host_init" || fail "the container's own process was killed with the exec"
events_named init.killed | jq -e '.details.inits_killed | length == 1' >/dev/null || fail "exec: $(events_named init.killed)"
"$FAKE" --root "$ROOT" delete --force host
echo "ok: stuck exec killed after ${elapsed} ms, container untouched: $msg"

# ---- slow but healthy: 3 s init, 10 s deadline ----
guard_config '{"init_timeout_s": 10}'
: >"$EVENTS"
t0=$(ms)
FAKE_RC93_MODE=slow timeout 30 "$GUARD" --root "$ROOT" run -d --bundle "$BUNDLE" slow >/dev/null 2>&1 || fail "slow run -d failed"
elapsed=$(($(ms) - t0))
[ $elapsed -ge 3000 ] || fail "slow init finished in ${elapsed} ms: not slow"
jq -e '.intact and .loaded' "$ROOT/slow/init-report.json" >/dev/null || fail "slow init report: $(cat "$ROOT/slow/init-report.json")"
[ "$(seccomp_mode_of "$(init_pid_of slow)")" = 2 ] || fail "slow container not running with its filter"
[ -z "$(events_named init.killed)$(events_named init.blocked)" ] || fail "a healthy slow init was acted on: $(cat "$EVENTS")"
echo "ok: slow healthy init (${elapsed} ms) left alone"

expect_no_watchdog_within 2
