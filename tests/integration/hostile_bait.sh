# A container cannot steer root through the watchdog or doctor (security issue, part 1). The container's
# process (tests/helpers/bait_init) looks like a blocked runc init to anything that trusts names — it
# runs from a memfd named runc_cloned:/proc/self/exe, calls itself runc:[2:INIT], has a thread blocked on
# a full pipe it also reads, and flips that fd between the pipe and an O_PATH fd of a root-only canary
# file. It runs unprivileged (uid 65534) as pid 1 of a foreground `runc run` through runc-guard, so it is
# runc's own child while the watchdog watches; meanwhile `doctor` and `doctor --unstick` scan the node.
# inotify on the canary counts every open: there must be none, and the bait must not be un-stuck.
source "$(dirname "$0")/../lib.sh"
need inotifywait

make_workdir WORK
ROOT="$WORK/state"
BUNDLE="$WORK/bundle"
EVENTS="$WORK/events.jsonl"
export RUNC_GUARD_CONFIG="$WORK/guard.json"
write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$REAL_RUNC\"}, \"log\": {\"events\": \"$EVENTS\"}}"
make_bundle "$BUNDLE" /bait /canary
cp "$RG_BUILD/tests/bait_init" "$BUNDLE/rootfs/bait"
echo secret >"$BUNDLE/rootfs/canary"
chmod 0600 "$BUNDLE/rootfs/canary"  # root-only: the bait itself can only hold it O_PATH
jq '.process.user = {"uid": 65534, "gid": 65534} | .process.capabilities = {}' "$BUNDLE/config.json" >"$BUNDLE/c.json"
mv "$BUNDLE/c.json" "$BUNDLE/config.json"
on_exit "cleanup_container '$ROOT' bait"

inotifywait -m -e open --format '%e' "$BUNDLE/rootfs/canary" >"$WORK/opens" 2>"$WORK/inotify.err" &
notify_pid=$!
on_exit "kill $notify_pid 2>/dev/null"
for _ in $(seq 100); do grep -q 'Watches established' "$WORK/inotify.err" && break; sleep 0.05; done

"$GUARD" --root "$ROOT" run --bundle "$BUNDLE" bait >"$WORK/bait.out" 2>&1 </dev/null &
run_pid=$!
on_exit "kill -9 $run_pid 2>/dev/null"
for _ in $(seq 100); do grep -q 'bait ready' "$WORK/bait.out" && break; sleep 0.05; done
grep -q 'bait ready' "$WORK/bait.out" || fail "the bait did not start: $(cat "$WORK/bait.out")"
bait=$(jq -r .init_process_pid "$ROOT/bait/state.json")
[ "$(cat "/proc/$bait/comm")" = "runc:[2:INIT]" ] || fail "bait is not disguised: comm $(cat "/proc/$bait/comm")"
readlink "/proc/$bait/exe" | grep -q '^/memfd:runc_cloned:' || fail "bait does not run from a runc-named memfd: $(readlink "/proc/$bait/exe")"
[ "$(awk '{print $4}' "/proc/$bait/stat")" = "$run_pid" ] || fail "bait is not runc's child"

# The watchdog looks for ~3 s (50–100 ms between looks); doctor and doctor --unstick scan the node 5 times each.
for _ in 1 2 3 4 5; do
  "$GUARDCTL" doctor --json --runc-root "$ROOT" >"$WORK/doctor.json" || true
  "$GUARDCTL" doctor --json --unstick --runc-root "$ROOT" >"$WORK/unstick.json" || true
  sleep 0.5
done
sleep 0.5
kill -0 "$run_pid" 2>/dev/null || fail "runc run ended: $(cat "$WORK/bait.out")"
opens=$(grep -c OPEN "$WORK/opens" || true)
[ "$opens" = 0 ] || fail "root opened the bait's canary $opens times"
jq -e '[.checks[] | select(.id == "init.blocked")] | all(.status == "ok")' "$WORK/doctor.json" >/dev/null ||
  fail "doctor took the bait for a blocked init: $(jq -c '[.checks[] | select(.id == "init.blocked")]' "$WORK/doctor.json")"
[ -z "$(events_named init.blocked)$(events_named init.unstuck)" ] || fail "the watchdog acted on the bait: $(cat "$EVENTS")"
# The bait's writer is still blocked on its 4 KiB pipe: nobody enlarged it.
grep -q anon_pipe_write /proc/$bait/task/*/wchan || fail "the bait's writer is no longer blocked (someone un-stuck it)"
echo "hostile_bait: 0 opens of the canary by the watchdog, doctor and doctor --unstick; bait left alone"
