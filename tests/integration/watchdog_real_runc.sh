# Real runc 1.1.5 through the watchdog: containers start normally and nothing is touched (no init is
# blocked, un-stuck or killed); the watch of a foreground run/exec ends once the init exec'd.
source "$(dirname "$0")/../lib.sh"

make_workdir WORK
ROOT="$WORK/root"
EVENTS="$WORK/events.jsonl"
export RUNC_GUARD_CONFIG="$WORK/guard.json"
write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$REAL_RUNC\"}, \"log\": {\"events\": \"$EVENTS\"}, \"watchdog\": {\"init_timeout_s\": 20}}"
BUNDLE="$WORK/bundle"
make_bundle "$BUNDLE" sleep 300
for id in r1 r2 r3; do on_exit "cleanup_container '$ROOT' $id"; done

status_of() { "$REAL_RUNC" --root "$ROOT" state "$1" | jq -r .status; }

"$GUARD" --root "$ROOT" --log "$WORK/log.json" --log-format json create --bundle "$BUNDLE" r1 </dev/null >/dev/null 2>&1 ||
  fail "create: $(cat "$WORK/log.json")"
[ "$(status_of r1)" = created ] || fail "r1 not created"
expect_no_watchdog_within 1 "create"
"$GUARD" --root "$ROOT" start r1 || fail "start failed"
[ "$(status_of r1)" = running ] || fail "r1 not running after start"
out=$("$GUARD" --root "$ROOT" exec r1 sh -c 'echo hello; exit 3') && rc=0 || rc=$?
[ "$rc" = 3 ] && [ "$out" = hello ] || fail "exec: rc=$rc out=$out"
"$GUARD" --root "$ROOT" exec -d r1 sleep 300 || fail "exec -d failed"
[ "$("$REAL_RUNC" --root "$ROOT" ps --format json r1 | jq length)" = 2 ] || fail "exec -d process not running"
"$GUARD" --root "$ROOT" run -d --bundle "$BUNDLE" r2 </dev/null >/dev/null 2>&1 || fail "run -d failed"
[ "$(status_of r2)" = running ] || fail "r2 not running"
echo "ok: create/start/exec/exec -d/run -d through the watchdog"

# Foreground run: the watch ends when the init exec'd, long before the container exits.
make_bundle "$WORK/fg" sh -c 'sleep 2; exit 4'
rc=0
"$GUARD" --root "$ROOT" run --bundle "$WORK/fg" r3 </dev/null >/dev/null 2>&1 &
run_pid=$!
sleep 1
kill -0 $run_pid 2>/dev/null || fail "foreground run ended early"
[ -z "$(our_watchdogs)" ] || fail "the watchdog of a foreground run outlived the init's exec"
wait $run_pid || rc=$?
[ "$rc" = 4 ] || fail "foreground run exit $rc, the container's was 4"
echo "ok: foreground run: watch ended at the init's exec; exit status 4 passed through"

expect_no_watchdog_within 2 "end"
if [ -f "$EVENTS" ] && grep -q '"event":"init\.' "$EVENTS"; then fail "the watchdog acted on real runc: $(grep '"init\.' "$EVENTS")"; fi
[ ! -s "$WORK/log.json" ] || ! grep -q runc-guard "$WORK/log.json" || fail "runc-guard wrote to log.json: $(cat "$WORK/log.json")"
echo "ok: nothing touched"
