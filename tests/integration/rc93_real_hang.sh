# The seed incident with the real runc 1.0.0-rc93: no-new-privileges, the 3-architecture allow-list
# (a 9024 B program) and uid 0 over /proc/sys/fs/pipe-user-pages-soft (set to 1 here, restored on every
# exit path). Bare rc93's `start` and `exec` hang with `runc init` in anon_pipe_write; through runc-guard
# (runtime.path = rc93) they return within 1 s, the watchdog logs init.blocked/init.unstuck, and the
# container runs with exactly the filter rc93 loads when nothing blocks (read back from the kernel with
# PTRACE_SECCOMP_GET_FILTER) and that filter acts (EPERM where the kernel alone says ENOSYS). Then 20 such
# containers are created and started in parallel through runc-guard.
source "$(dirname "$0")/../lib.sh"

RC93=$(runc_release v1.0.0-rc93)
PROBE="$RG_BUILD/tests/seccomp_probe"
[ -x "$PROBE" ] || fail "helper $PROBE not built"
PROFILE="$SHARED/testdata/seccomp/all-syscalls-3arch.json"
[ -f "$PROFILE" ] || fail "seccomp profile $PROFILE missing"
N=${RC93_PARALLEL:-20}

WORK=$(make_workdir)
ROOT="$WORK/root"
EVENTS="$WORK/events.jsonl"
LOG="$WORK/log.json"
export RUNC_GUARD_CONFIG="$WORK/guard.json"  # also in bare rc93's environment: cleanup finds its inits by it
write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$RC93\"}, \"log\": {\"events\": \"$EVENTS\"}}"

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
"$GUARDCTL" seccomp export --bundle "$WORK/b" --format bpf -o "$WORK/program.bpf"
PROGRAM_BYTES=$(stat -c %s "$WORK/program.bpf")
[ "$PROGRAM_BYTES" -gt 8192 ] || fail "the profile compiles to $PROGRAM_BYTES B: it would fit a 2-page pipe"

# ---- Reference: what rc93 loads when nothing blocks (the limit at its normal value) ----
# A test that does not take the lock (or a crashed one) may hold the limit down: wait for it, then lock.
for _ in $(seq 120); do [ "$(cat "$PIPE_SOFT")" -gt 64 ] && break; sleep 1; done
lower_pipe_soft_limit "$(cat "$PIPE_SOFT")"  # takes the machine-wide lock first: no other test changes it now
OLD_SOFT=$PIPE_SOFT_ORIGINAL
[ "$OLD_SOFT" -gt 64 ] || fail "$PIPE_SOFT has been $OLD_SOFT for 2 minutes: left lowered by something else?"
t0=$(ms)
timeout 10 "$RC93" --root "$ROOT" run -d --bundle "$WORK/b" ref </dev/null >/dev/null || fail "bare rc93 run -d failed with the normal limit ($OLD_SOFT)"
[ $(($(ms) - t0)) -le 2000 ] || fail "bare rc93 took $(($(ms) - t0)) ms with the normal limit"
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

# ---- Without runc-guard: start and exec hang ----
lower_pipe_soft_limit 1
"$RC93" --root "$ROOT" create --bundle "$WORK/b" bare </dev/null >/dev/null 2>&1 || fail "bare create failed"
rc=0
timeout 3 "$RC93" --root "$ROOT" start bare || rc=$?
[ "$rc" = 124 ] || fail "bare rc93 start returned $rc within 3 s: no hang reproduced"
pid=$(init_pid_of bare)
expect_eq "$(cat "/proc/$pid/comm")/$(cat "/proc/$pid/wchan")" "runc:[2:INIT]/anon_pipe_write" "bare init blocked"
# write(2) of the whole program at once: syscall 1, third argument its size.
read -r nr _ _ count _ <"/proc/$pid/syscall"
expect_eq "$nr $((count))" "1 $PROGRAM_BYTES" "the blocked syscall (write, bytes)"
"$RC93" --root "$ROOT" delete --force bare
echo "ok: bare rc93 start hangs (3 s): init in anon_pipe_write, write($PROGRAM_BYTES B)"

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
cmp -s "$WORK/g1.bpf" "$WORK/ref.bpf" || fail "g1 runs a different filter ($(stat -c %s "$WORK/g1.bpf") B) than rc93 loads unblocked ($REF_BYTES B)"
events_named init.blocked | jq -e --arg id g1 'select(.id == $id) | .details | .action == "unstick" and .wchan == "anon_pipe_write" and .read_end_held' >/dev/null ||
  fail "no init.blocked event for g1: $(cat "$EVENTS")"
events_named init.unstuck | jq -e --arg id g1 --argjson p "$PROGRAM_BYTES" 'select(.id == $id) | .details.pipe_size_after >= $p' >/dev/null ||
  fail "no init.unstuck event for g1: $(cat "$EVENTS")"
echo "ok: start through runc-guard returned in ${start_ms} ms; the container runs rc93's whole filter (Seccomp 2, 1 filter, identical to the reference)"

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
cmp -s "$WORK/exec.bpf" "$WORK/ref.bpf" || fail "the exec'd process runs a different filter than the reference"
unstuck=$(events_named init.unstuck | jq -s --arg id g1 'map(select(.id == $id)) | length')
expect_eq "$unstuck" 4 "init.unstuck events for g1 (start, exec, exec, exec -d)"
echo "ok: exec ${exec_ms} ms, exec -d ${execd_ms} ms through runc-guard; the exec'd processes run the same filter"

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
restore_pipe_soft_limit
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
