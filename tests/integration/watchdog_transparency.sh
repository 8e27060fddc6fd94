# The watchdog is invisible to the caller: the pid it waits on is runc's, runc gets no fd of ours, the
# watchdog holds none of the caller's (a caller reading runc's stdout gets EOF when runc exits, even while the
# watchdog still runs), exit codes are runc's, and no watchdog outlives its watch.
source "$(dirname "$0")/watchdog_lib.bash"

# ---- while a (slow, healthy) create runs: pid, fds of runc, fds of the watchdog ----
guard_config '{"init_timeout_s": 10}'
mkfifo "$WORK/caller.out"
exec 8<>"$WORK/caller.out"  # the caller's stdout pipe: only runc may hold it
FAKE_RC93_MODE=slow FAKE_RC93_SLOW_MS=1500 "$GUARD" --root "$ROOT" create --bundle "$BUNDLE" t1 \
  </dev/null >"$WORK/caller.out" 2>/dev/null 7<"$RUNC_GUARD_CONFIG" &
caller_pid=$!
sleep 0.5
[ "$(readlink "/proc/$caller_pid/exe")" = "$FAKE" ] || fail "pid $caller_pid the caller waits on is not runc: $(readlink "/proc/$caller_pid/exe")"
runc_fds=$(ls "/proc/$caller_pid/fd" | sort -n | tr '\n' ' ')
# 0-2 and 7 are the caller's; the fake runc's own: its ready pipe and log pipe read ends.
for fd in $(ls "/proc/$caller_pid/fd"); do
  target=$(readlink "/proc/$caller_pid/fd/$fd" || true)
  case "$target" in *events.jsonl | anon_inode:\[pidfd\]) fail "runc inherited runc-guard's fd $fd -> $target" ;; esac
done
wd=$(our_watchdogs)
[ "$(echo "$wd" | wc -w)" = 1 ] || fail "expected one watchdog, found: $wd"
wd_sid=$(awk '{print $6}' "/proc/$wd/stat")
[ "$wd_sid" != "$(awk '{print $6}' "/proc/$caller_pid/stat")" ] || fail "watchdog shares the caller's session (no setsid)"
[ "$wd_sid" != "$wd" ] || fail "watchdog is a session leader (it could acquire a terminal: no second fork)"
[ "$(awk '{print $4}' "/proc/$wd/stat")" != "$caller_pid" ] || fail "watchdog is runc's child (no double fork)"
[ "$(readlink "/proc/$wd/cwd")" = / ] || fail "watchdog keeps the caller's cwd busy: $(readlink "/proc/$wd/cwd")"
for fd in $(ls "/proc/$wd/fd"); do
  target=$(readlink "/proc/$wd/fd/$fd" || true)
  case "$fd:$target" in
    [012]:/dev/null | 3:anon_inode:\[pidfd\] | *:"$EVENTS") ;;
    *) fail "watchdog holds fd $fd -> $target" ;;
  esac
done
wait $caller_pid || fail "slow create failed"
exec 8<&-
echo "ok: caller's pid is runc (fds: $runc_fds), watchdog $wd detached with only /dev/null and its pidfd"
"$FAKE" --root "$ROOT" delete --force t1

# ---- EOF on runc's stdout when runc exits while the watchdog still runs (deadline + slow delete) ----
guard_config '{"init_timeout_s": 1}'
t0=$(ms)
out=$(FAKE_RC93_MODE=stuck FAKE_RC93_DELETE_DELAY_MS=2000 "$GUARD" --root "$ROOT" create --bundle "$BUNDLE" t2 2>/dev/null) && rc=0 || rc=$?
elapsed=$(($(ms) - t0))
[ "$rc" = 137 ] || fail "stuck create: exit $rc"
[ -n "$(our_watchdogs)" ] || fail "the watchdog should still be running runc delete (2 s) — test is not showing anything"
[ $elapsed -le 2000 ] || fail "caller got EOF only after ${elapsed} ms: something kept runc's stdout open"
expect_no_watchdog_within 5
grep -q "delete --force t2" "$ROOT/delete.log" || fail "delete --force not run"
echo "ok: caller got EOF ${elapsed} ms after start, as runc died, while the watchdog still ran delete --force"

# ---- exit codes are runc's; failures pass through ----
rc=0
"$GUARD" --root "$ROOT" start missing 2>/dev/null || rc=$?
rc_bare=0
"$FAKE" --root "$ROOT" start missing 2>/dev/null || rc_bare=$?
[ "$rc" = "$rc_bare" ] && [ "$rc" != 0 ] || fail "start of a missing container: $rc through runc-guard, $rc_bare bare"

# ---- watchdog.enabled false: no watchdog process at all ----
guard_config '{"enabled": false}'
FAKE_RC93_MODE=slow FAKE_RC93_SLOW_MS=800 "$GUARD" --root "$ROOT" create --bundle "$BUNDLE" t3 >/dev/null 2>&1 &
sleep 0.3
[ -z "$(our_watchdogs)" ] || fail "watchdog.enabled=false still forked a watchdog"
wait $! || fail "create with the watchdog disabled failed"
"$FAKE" --root "$ROOT" delete --force t3
echo "ok: exit codes unchanged; watchdog.enabled=false forks nothing"
expect_no_watchdog_within 1
