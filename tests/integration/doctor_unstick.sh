# doctor on a node that is already hung (no runc-guard in the call path): it finds the blocked runc init
# (the faithful rc93 imitation), and --unstick frees it without loss: the start that hung completes and the
# container runs with its intact seccomp filter.
source "$(dirname "$0")/watchdog_lib.bash"

"$FAKE" --root "$ROOT" create --bundle "$BUNDLE" hung >/dev/null 2>&1 || fail "bare create failed"
"$FAKE" --root "$ROOT" start hung >"$WORK/start.out" 2>&1 &
start_pid=$!
pid=$(init_pid_of hung)
for _ in $(seq 100); do
  [ "$(cat "/proc/$pid/wchan" 2>/dev/null)" = anon_pipe_write ] || [ "$(cat "/proc/$pid/wchan" 2>/dev/null)" = pipe_write ] && break
  sleep 0.05
done
sleep 0.3
kill -0 "$start_pid" 2>/dev/null || fail "bare start did not hang"

# Diagnose: the blocked init is reported with its pipe, and doctor says there are problems.
rc=0
"$GUARDCTL" doctor --json --runc-root "$ROOT" >"$WORK/doctor.json" || rc=$?
[ "$rc" = 1 ] || fail "doctor exit $rc with a blocked init (want 1): $(jq -c "[.checks[] | select(.status != \"ok\")]" "$WORK/doctor.json")"
jq -e --argjson pid "$pid" '.checks[] | select(.id == "init.blocked" and .data.pid == $pid)
  | .status == "fail" and .data.pipe_capacity == 4096 and .data.read_end_held_by_init == true' "$WORK/doctor.json" >/dev/null ||
  fail "doctor did not report blocked init $pid: $(jq -c '[.checks[] | select(.id | startswith("init"))]' "$WORK/doctor.json")"
kill -0 "$start_pid" 2>/dev/null || fail "doctor without --unstick touched the init"
echo "ok: doctor reports blocked init $pid"

# Fix: --unstick enlarges the init's own pipe; the hung start finishes by itself, nothing lost.
"$GUARDCTL" doctor --json --unstick --runc-root "$ROOT" >"$WORK/unstick.json" || true
jq -e --argjson pid "$pid" '.checks[] | select(.id == "init.blocked" and .data.pid == $pid) | .status == "ok"' \
  "$WORK/unstick.json" >/dev/null || fail "unstick not reported ok: $(jq -c '[.checks[] | select(.id | startswith("init"))]' "$WORK/unstick.json")"
rc=0
timeout 5 tail --pid="$start_pid" -f /dev/null || fail "the hung start did not finish after --unstick"
wait "$start_pid" || rc=$?
[ "$rc" = 0 ] || fail "start exited $rc after unstick: $(cat "$WORK/start.out")"
jq -e '.intact == true and .loaded == true' "$ROOT/hung/init-report.json" >/dev/null ||
  fail "program not intact after unstick: $(cat "$ROOT/hung/init-report.json")"
[ "$(seccomp_mode_of "$pid")" = 2 ] || fail "container runs without its filter"
echo "doctor_unstick: blocked init $pid found and un-stuck losslessly"
