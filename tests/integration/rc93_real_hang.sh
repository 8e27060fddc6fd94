# The seed incident with the real runc 1.0.0-rc93: no-new-privileges, the 3-architecture allow-list
# (a 9024 B program) and uid 0 over /proc/sys/fs/pipe-user-pages-soft (set to 1 here under the machine-wide
# lock, restored on every exit path).
#  * bare rc93: `start` and `exec` hang with `runc init` in anon_pipe_write, write(2) of the whole program;
#    `runc-guardctl doctor` reports the hung init and `doctor --unstick` completes the hung start;
#  * through runc-guard (runtime.path = rc93): start, exec, exec -d, run -d and run return within 1 s,
#    init.blocked/init.unstuck are logged and counted, runc's --log stays empty, and every container
#    process runs rc93's whole filter — read back from the kernel (PTRACE_SECCOMP_GET_FILTER): rc93's
#    -ENOSYS stub plus the compiled program byte for byte, as rc93 loads it when nothing blocks — which acts
#    (EPERM where the kernel alone says ENOSYS, in the x86_64 and the i386 part of the program);
#  * observe mode leaves the init blocked and logs; watchdog.unstick=false kills it at the deadline;
#  * 20 containers created and started in parallel through runc-guard all return within 1 s.
source "$(dirname "$0")/../lib.sh"

RC93=$(runc_release v1.0.0-rc93)
PROBE="$RG_BUILD/tests/seccomp_probe"
[ -x "$PROBE" ] || fail "helper $PROBE not built"
PROFILE="$SHARED/testdata/seccomp/all-syscalls-3arch.json"
[ -f "$PROFILE" ] || fail "seccomp profile $PROFILE missing"
N=${RC93_PARALLEL:-20}

make_workdir WORK
ROOT="$WORK/root"
EVENTS="$WORK/events.jsonl"
LOG="$WORK/log.json"
export RUNC_GUARD_CONFIG="$WORK/guard.json"  # also in bare rc93's environment: cleanup finds its inits by it
# guard_config [EXTRA_JSON]: runc-guard over rc93, events and metrics in WORK, EXTRA_JSON merged in.
guard_config() {
  jq -n --arg runc "$RC93" --arg events "$EVENTS" --arg metrics "$WORK/metrics" --argjson extra "${1:-{\}}" \
    '{runtime: {path: $runc}, log: {events: $events}, metrics: {textfile_dir: $metrics}} * $extra' >"$RUNC_GUARD_CONFIG"
  chmod 0644 "$RUNC_GUARD_CONFIG"
}
guard_config
mkdir -p "$WORK/metrics"
metric() { awk -v k="$1" '$1 == k {print $2}' "$WORK/metrics/runc_guard.prom" 2>/dev/null; }

ms() { date +%s%3N; }
field() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }  # field PID Seccomp
init_pid_of() { jq -r .init_process_pid "$ROOT/$1/state.json"; }

cleanup_everything() {
  local dir pid
  for dir in "$ROOT"/*/; do
    [ -d "$dir" ] && "$RC93" --root "$ROOT" delete --force "$(basename "$dir")" >/dev/null 2>&1 || true
  done
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do  # blocked inits and runc processes not in any state.json
    [ "$pid" != $$ ] || continue
    tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qx "RUNC_GUARD_CONFIG=$RUNC_GUARD_CONFIG" &&
      kill -9 "$pid" 2>/dev/null || true
  done
}
on_exit cleanup_everything

mkdir -p "$WORK/b"
REAL_RUNC=$RC93 make_bundle "$WORK/b" /bin/sleep 300
cp "$PROBE" "$WORK/b/rootfs/bin/seccomp_probe"
jq --slurpfile s "$PROFILE" '.process.noNewPrivileges = true | .linux.seccomp = $s[0]' "$WORK/b/config.json" >"$WORK/config.new"
mv "$WORK/config.new" "$WORK/b/config.json"
# The same container, run in the foreground: it reports what its filter does to two syscalls, and exits.
mkdir -p "$WORK/fg"
cp -a "$WORK/b/rootfs" "$WORK/fg/rootfs"
jq '.process.args = ["/bin/seccomp_probe", "call", "39", "400"]' "$WORK/b/config.json" >"$WORK/fg/config.json"
"$GUARDCTL" seccomp export --bundle "$WORK/b" --format bpf -o "$WORK/program.bpf"
PROGRAM_BYTES=$(stat -c %s "$WORK/program.bpf")
[ "$PROGRAM_BYTES" -gt 8192 ] || fail "the profile compiles to $PROGRAM_BYTES B: it would fit a 2-page pipe"

# ---- Reference: what rc93 loads when nothing blocks (the limit at the kernel's default) ----
set_pipe_soft_limit $PIPE_SOFT_DEFAULT  # takes the machine-wide lock first, whatever the limit was
t0=$(ms)
timeout 10 "$RC93" --root "$ROOT" run -d --bundle "$WORK/b" ref </dev/null >/dev/null || fail "bare rc93 run -d failed with the default limit"
[ $(($(ms) - t0)) -le 2000 ] || fail "bare rc93 took $(($(ms) - t0)) ms with the default limit"
ref=$(init_pid_of ref)
[ "$(field "$ref" Seccomp)/$(field "$ref" Seccomp_filters)" = 2/1 ] || fail "reference container: Seccomp $(field "$ref" Seccomp), filters $(field "$ref" Seccomp_filters)"
"$PROBE" dump "$ref" "$WORK/ref.bpf" >/dev/null
REF_BYTES=$(stat -c %s "$WORK/ref.bpf")
# rc93 prepends its -ENOSYS stub (patchbpf) to libseccomp's program, which it must load whole.
[ "$REF_BYTES" -gt "$PROGRAM_BYTES" ] && cmp -s <(tail -c "$PROGRAM_BYTES" "$WORK/ref.bpf") "$WORK/program.bpf" ||
  fail "rc93's loaded filter ($REF_BYTES B) does not end with the compiled program ($PROGRAM_BYTES B)"
# The filter acts: syscall numbers the allow-list does not name are refused (EPERM); the kernel alone says
# ENOSYS. x86_64 400 (unused, below the highest listed) and i386 222 (unused) — both ABIs' parts of the program.
expect_eq "$("$PROBE" call 39 400 | tr '\n' ' ')$("$PROBE" call32 20 222 | tr '\n' ' ')" "39=0 400=ENOSYS 20=0 222=ENOSYS " "probe without a filter (host)"
expect_eq "$("$RC93" --root "$ROOT" exec ref /bin/seccomp_probe call 39 400 | tr '\n' ' ')" "39=0 400=EPERM " "x86_64 syscalls in the reference container"
expect_eq "$("$RC93" --root "$ROOT" exec ref /bin/seccomp_probe call32 20 222 | tr '\n' ' ')" "20=0 222=EPERM " "i386 syscalls in the reference container"
echo "ok: reference: rc93 loads ${REF_BYTES} B (its stub + the ${PROGRAM_BYTES} B program); the filter refuses unlisted syscalls"
# whole_filter WHAT FILE: FILE (a dumped filter) is what rc93 loads unblocked: its -ENOSYS stub (same size;
# rc93 orders the stub's per-architecture checks by Go map iteration, so the bytes vary from run to run)
# followed by the whole compiled program, byte for byte.
whole_filter() {
  [ "$(stat -c %s "$2")" = "$REF_BYTES" ] && cmp -s <(tail -c "$PROGRAM_BYTES" "$2") "$WORK/program.bpf" ||
    fail "$1 runs a different filter ($(stat -c %s "$2") B) than rc93 loads unblocked ($REF_BYTES B: stub + the $PROGRAM_BYTES B program)"
}

# ---- Without runc-guard: start and exec hang ----
set_pipe_soft_limit 1
"$RC93" --root "$ROOT" create --bundle "$WORK/b" bare </dev/null >/dev/null 2>&1 || fail "bare create failed"
"$RC93" --root "$ROOT" start bare </dev/null >"$WORK/bare-start.out" 2>&1 &
start_pid=$!
sleep 3
kill -0 $start_pid 2>/dev/null || fail "bare rc93 start returned within 3 s: no hang reproduced ($(cat "$WORK/bare-start.out"))"
pid=$(init_pid_of bare)
expect_eq "$(cat "/proc/$pid/comm")/$(cat "/proc/$pid/wchan")" "runc:[2:INIT]/anon_pipe_write" "bare init blocked"
# write(2) of the whole program at once: syscall 1, third argument its size.
read -r nr _ _ count _ <"/proc/$pid/syscall"
expect_eq "$nr $((count))" "1 $PROGRAM_BYTES" "the blocked syscall (write, bytes)"
echo "ok: bare rc93 start hangs (3 s): init in anon_pipe_write, write($PROGRAM_BYTES B)"

# doctor on the hung node (no runc-guard in the call path): reports the blocked init and its 2-page pipe;
# --unstick frees it losslessly: the hung start completes and the container runs with the whole filter.
rc=0
"$GUARDCTL" doctor --json --runc-root "$ROOT" >"$WORK/doctor.json" || rc=$?
[ "$rc" = 1 ] || fail "doctor exit $rc with a blocked init (want 1)"
jq -e --argjson pid "$pid" '.checks[] | select(.id == "init.blocked" and .data.pid == $pid)
  | .status == "fail" and .data.pipe_capacity == 8192 and .data.read_end_held_by_init == true' "$WORK/doctor.json" >/dev/null ||
  fail "doctor did not report blocked init $pid: $(jq -c '[.checks[] | select(.id | startswith("init"))]' "$WORK/doctor.json")"
kill -0 $start_pid 2>/dev/null || fail "doctor without --unstick touched the init"
"$GUARDCTL" doctor --json --unstick --runc-root "$ROOT" >"$WORK/unstick.json" || true
jq -e --argjson pid "$pid" '.checks[] | select(.id == "init.blocked" and .data.pid == $pid) | .status == "ok"' "$WORK/unstick.json" >/dev/null ||
  fail "doctor --unstick not ok: $(jq -c '[.checks[] | select(.id | startswith("init"))]' "$WORK/unstick.json")"
timeout 5 tail --pid=$start_pid -f /dev/null || fail "the hung start did not finish after doctor --unstick"
rc=0
wait $start_pid || rc=$?
[ "$rc" = 0 ] || fail "the hung start exited $rc after doctor --unstick: $(cat "$WORK/bare-start.out")"
expect_eq "$(cat "/proc/$pid/comm") $(field "$pid" Seccomp)" "sleep 2" "the un-stuck container process"
"$PROBE" dump "$pid" "$WORK/bare.bpf" >/dev/null
whole_filter "the container un-stuck by doctor" "$WORK/bare.bpf"
"$RC93" --root "$ROOT" delete --force bare
echo "ok: doctor reports the blocked init (pipe 8192 B); doctor --unstick: the hung start completed, whole filter loaded"

"$RC93" --root "$ROOT" exec ref /bin/true </dev/null 2>/dev/null &
exec_pid=$!
exec_init=""
for _ in $(seq 30); do
  sleep 0.1
  for p in $(pgrep -P $exec_pid || true); do
    [ "$(cat "/proc/$p/wchan" 2>/dev/null)" = anon_pipe_write ] && exec_init=$p
  done
  [ -z "$exec_init" ] || break
done
sleep 3
kill -0 $exec_pid 2>/dev/null || fail "bare rc93 exec returned within 3 s: no hang reproduced"
[ -n "$exec_init" ] || fail "bare rc93 exec hangs, but no init of it in anon_pipe_write: $(pgrep -P $exec_pid | xargs -r ps -o pid,wchan:32,comm -p)"
expect_eq "$(cat "/proc/$exec_init/comm")" "runc:[2:INIT]" "bare exec's blocked process"
kill -9 "$exec_init" $exec_pid
wait $exec_pid 2>/dev/null || true
echo "ok: bare rc93 exec hangs (3 s): its init in anon_pipe_write"

# ---- Through runc-guard: create + start, exec, exec -d ----
rg() { "$GUARD" --root "$ROOT" --log "$LOG" --log-format json "$@"; }
rg create --bundle "$WORK/b" g1 </dev/null >/dev/null || fail "create through runc-guard failed: $(cat "$LOG")"
t0=$(ms)
timeout 10 "$GUARD" --root "$ROOT" --log "$LOG" --log-format json start g1 || fail "start through runc-guard failed: $(cat "$LOG")"
start_ms=$(($(ms) - t0))
[ $start_ms -le 1000 ] || fail "start through runc-guard took ${start_ms} ms (> 1 s)"
g1=$(init_pid_of g1)
expect_eq "$(cat "/proc/$g1/comm")" sleep "container process"
expect_eq "$(field "$g1" Seccomp)/$(field "$g1" Seccomp_filters)" 2/1 "g1 Seccomp/Seccomp_filters"
"$PROBE" dump "$g1" "$WORK/g1.bpf" >/dev/null
whole_filter g1 "$WORK/g1.bpf"
events_named init.blocked | jq -e --arg id g1 'select(.id == $id) | .details | .action == "unstick" and .wchan == "anon_pipe_write" and .read_end_held' >/dev/null ||
  fail "no init.blocked event for g1: $(cat "$EVENTS")"
events_named init.unstuck | jq -e --arg id g1 --argjson p "$PROGRAM_BYTES" 'select(.id == $id) | .details.pipe_size_after >= $p' >/dev/null ||
  fail "no init.unstuck event for g1: $(cat "$EVENTS")"
echo "ok: start through runc-guard returned in ${start_ms} ms; the container runs rc93's whole filter (Seccomp 2, 1 filter, the same as unblocked)"

t0=$(ms)
out=$(timeout 10 "$GUARD" --root "$ROOT" exec g1 /bin/seccomp_probe call 39 400 </dev/null) || fail "exec through runc-guard failed"
exec_ms=$(($(ms) - t0))
[ $exec_ms -le 1000 ] || fail "exec through runc-guard took ${exec_ms} ms (> 1 s)"
expect_eq "$(echo $out)" "39=0 400=EPERM" "x86_64 syscalls in the exec'd process"
out=$(timeout 10 "$GUARD" --root "$ROOT" exec g1 /bin/seccomp_probe call32 20 222 </dev/null) || fail "second exec failed"
expect_eq "$(echo $out)" "20=0 222=EPERM" "i386 syscalls in the exec'd process"
t0=$(ms)
timeout 10 "$GUARD" --root "$ROOT" exec -d --pid-file "$WORK/exec.pid" g1 /bin/sleep 300 </dev/null || fail "exec -d through runc-guard failed"
execd_ms=$(($(ms) - t0))
[ $execd_ms -le 1000 ] || fail "exec -d through runc-guard took ${execd_ms} ms (> 1 s)"
"$PROBE" dump "$(cat "$WORK/exec.pid")" "$WORK/exec.bpf" >/dev/null
whole_filter "the exec -d process" "$WORK/exec.bpf"
unstuck=$(events_named init.unstuck | jq -s --arg id g1 'map(select(.id == $id)) | length')
expect_eq "$unstuck" 4 "init.unstuck events for g1 (start, exec, exec, exec -d)"
echo "ok: exec ${exec_ms} ms, exec -d ${execd_ms} ms through runc-guard; the exec'd processes run the same filter"

t0=$(ms)
timeout 10 "$GUARD" --root "$ROOT" run -d --bundle "$WORK/b" r1 </dev/null >/dev/null || fail "run -d through runc-guard failed"
rund_ms=$(($(ms) - t0))
[ $rund_ms -le 1000 ] || fail "run -d through runc-guard took ${rund_ms} ms (> 1 s)"
"$PROBE" dump "$(init_pid_of r1)" "$WORK/r1.bpf" >/dev/null
whole_filter "the run -d container" "$WORK/r1.bpf"
t0=$(ms)
out=$(timeout 10 "$GUARD" --root "$ROOT" run --bundle "$WORK/fg" fg1 </dev/null) || fail "foreground run through runc-guard failed: $out"
run_ms=$(($(ms) - t0))
[ $run_ms -le 1000 ] || fail "foreground run through runc-guard took ${run_ms} ms (> 1 s)"
expect_eq "$(echo $out)" "39=0 400=EPERM" "the foreground container's syscalls"
[ ! -d "$ROOT/fg1" ] || fail "the foreground container was not deleted when it exited"
expect_eq "$(events_named init.unstuck | wc -l)" 6 "init.unstuck events (start, exec x2, exec -d, run -d, run)"
expect_eq "$(metric runc_guard_init_unstuck_total)/$(metric runc_guard_init_blocked_total)" 6/6 "init_unstuck/init_blocked metrics"
[ ! -s "$LOG" ] || fail "the success path wrote to runc's --log: $(cat "$LOG")"
expect_no_watchdog_within 2
echo "ok: run -d ${rund_ms} ms, foreground run ${run_ms} ms; 6 inits un-stuck, counted, nothing in runc's log"

# ---- Observe mode: blocked and past its deadline, logged, never acted on: start hangs as bare ----
guard_config '{"mode": "observe", "watchdog": {"init_timeout_s": 1}}'
: >"$EVENTS"
"$GUARD" --root "$ROOT" create --bundle "$WORK/b" obs </dev/null >/dev/null || fail "create in observe mode failed"
rc=0
timeout 3 "$GUARD" --root "$ROOT" start obs || rc=$?
[ "$rc" = 124 ] || fail "observe mode: start returned $rc; it must be left hanging like bare rc93"
expect_eq "$(cat "/proc/$(init_pid_of obs)/wchan")" anon_pipe_write "observe mode: the init is still blocked"
events_named init.blocked | jq -e 'select(.id == "obs") | .details.action == "observe"' >/dev/null || fail "observe: no init.blocked event: $(cat "$EVENTS")"
events_named init.deadline_exceeded | jq -e 'select(.id == "obs") | .details.action == "observe"' >/dev/null || fail "observe: no deadline event: $(cat "$EVENTS")"
[ -z "$(events_named init.unstuck)$(events_named init.killed)" ] || fail "observe mode acted: $(cat "$EVENTS")"
"$RC93" --root "$ROOT" delete --force obs
expect_no_watchdog_within 2 "observe"
echo "ok: observe mode: init.blocked and init.deadline_exceeded logged, the init left blocked"

# ---- watchdog.unstick false: reported, then killed at the deadline (1 s), with the error in runc's log ----
guard_config '{"watchdog": {"init_timeout_s": 1, "unstick": false}}'
: >"$EVENTS"
"$GUARD" --root "$ROOT" create --bundle "$WORK/b" nounstick </dev/null >/dev/null || fail "create failed"
nu=$(init_pid_of nounstick)
t0=$(ms)
rc=0
{ timeout 10 "$GUARD" --root "$ROOT" --log "$WORK/deadline.json" --log-format json start nounstick || rc=$?; } 2>/dev/null
deadline_ms=$(($(ms) - t0))
[ "$rc" = 137 ] || fail "unstick off: start returned $rc, expected runc killed at the deadline (137): $(cat "$EVENTS")"
[ $deadline_ms -le 3000 ] || fail "unstick off: start returned after ${deadline_ms} ms (deadline 1 s)"
msg=$(jq -r 'select(.level == "error") | .msg' "$WORK/deadline.json")
[[ "$msg" =~ ^"runc-guard: runc init did not finish within 1s (blocked writing fd "[0-9]+", pipe "[0-9]+" B full); killed" ]] ||
  fail "error line in runc's log: $(cat "$WORK/deadline.json")"
events_named init.blocked | jq -e '.details.action | startswith("report")' >/dev/null || fail "unstick off: init.blocked: $(cat "$EVENTS")"
events_named init.killed | jq -e --argjson p "$nu" '.details.inits_killed | index($p) != null' >/dev/null || fail "init.killed: $(events_named init.killed)"
[ -z "$(events_named init.unstuck)" ] || fail "unstick off, but un-stuck"
expect_no_watchdog_within 2 "unstick off"
kill -0 "$nu" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$nu/stat")" != Z ] && fail "the blocked init $nu survived the deadline"
echo "ok: watchdog.unstick=false: start killed after ${deadline_ms} ms, init killed, runc's log: $msg"
guard_config

# ---- N inits blocked at once: N containers created and started in parallel through runc-guard ----
: >"$EVENTS"
declare -a pids
for i in $(seq 1 "$N"); do
  "$GUARD" --root "$ROOT" create --bundle "$WORK/b" "p$i" </dev/null >"$WORK/create-p$i.out" 2>&1 &
  pids[$i]=$!
done
for i in $(seq 1 "$N"); do wait "${pids[$i]}" || fail "parallel create p$i failed: $(cat "$WORK/create-p$i.out")"; done
t0=$(ms)
for i in $(seq 1 "$N"); do
  (s=$(ms); timeout 30 "$GUARD" --root "$ROOT" start "p$i" </dev/null >"$WORK/start-p$i.out" 2>&1; rc=$?; echo "$rc $(($(ms) - s))" >"$WORK/start-p$i.rc") &
  pids[$i]=$!
done
for i in $(seq 1 "$N"); do wait "${pids[$i]}"; done
wall_ms=$(($(ms) - t0))
set_pipe_soft_limit $PIPE_SOFT_DEFAULT  # the rest needs no lowered limit
durations=()
for i in $(seq 1 "$N"); do
  read -r rc d <"$WORK/start-p$i.rc"
  [ "$rc" = 0 ] || fail "parallel start p$i: exit $rc: $(cat "$WORK/start-p$i.out")"
  durations+=("$d")
  p=$(init_pid_of "p$i")
  expect_eq "$(cat "/proc/$p/comm") $(field "$p" Seccomp)" "sleep 2" "p$i container process"
done
sorted=$(printf '%s\n' "${durations[@]}" | sort -n | tr '\n' ' ')
max=$(printf '%s\n' "${durations[@]}" | sort -n | tail -1)
expect_eq "$(events_named init.unstuck | jq -s 'map(.id) | unique | length')" "$N" "containers un-stuck"
echo "ok: $N parallel starts through runc-guard: wall ${wall_ms} ms, each (ms): $sorted"
[ "$max" -le 1000 ] || fail "slowest of $N parallel starts took ${max} ms (> 1 s); all (ms): $sorted"

[ -z "$(events_named init.killed)" ] || fail "an init was killed: $(events_named init.killed)"
expect_no_watchdog_within 2
echo "ok: no watchdog left, nothing killed"
