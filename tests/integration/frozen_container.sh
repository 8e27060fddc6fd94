# The frozen-container guard with real runc (1.0.3: exec/create into a frozen cgroup hang, delete --force
# of a frozen container fails; 1.1.x refuses or thaws by itself). Each bug is shown with bare runc first.
#  A. exec into a frozen container: bare 1.0.3 hangs; through runc-guard: refused at once, clear error.
#  B. delete --force of a frozen container: bare 1.0.3 fails after 10 s and leaves it; runc-guard thaws
#     first and it is gone. On 1.1.12 runc thaws itself and runc-guard does nothing.
#  C. create into a frozen cgroup: bare 1.0.3 hangs (killed here, it leaves a frozen runc init and no
#     state.json behind: doctor reports it, doctor --fix removes it); through runc-guard: refused at once.
#  D. runc killed in the middle of `update` with the cgroup frozen (systemd's freeze window cannot run on
#     this node without systemd: the test freezes by hand while runc update waits for its -r - input, then
#     SIGKILLs runc): bare leaves it FROZEN; through runc-guard the watchdog thaws it. And an update that
#     overruns the deadline is killed (runc-guard: runc update did not finish within 2s).
#  E. runc killed in the middle of `create` (a prestart hook keeps it there) after the cgroup froze: bare
#     leaves a frozen init, no state.json and the cgroup; through runc-guard the watchdog kills the init and
#     removes the cgroup.
source "$(dirname "$0")/../lib.sh"

FREEZER=/sys/fs/cgroup/freezer
[ -f "$FREEZER/freezer.state" ] || [ -d "$FREEZER" ] || fail "needs the cgroup v1 freezer at $FREEZER"
RUNC_103=$(runc_release v1.0.3)
RUNC_1112=$(runc_release v1.1.12)
make_workdir WORK
mkdir "$WORK/dev"  # doctor --fix would make links in the host's /dev
ROOT="$WORK/root"
EVENTS="$WORK/events.jsonl"
PARENT="rg-frozen-$$"
export RUNC_GUARD_CONFIG="$WORK/guard.json"

# guard_config RUNC [INIT_TIMEOUT_S]
guard_config() {
  write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$1\"}, \"log\": {\"events\": \"$EVENTS\"},
    \"watchdog\": {\"init_timeout_s\": ${2:-60}}}"
}
freezer_of() { echo "$FREEZER/$PARENT/$1"; }
freeze() { echo FROZEN >"$(freezer_of "$1")/freezer.state"; }
freezer_state() { cat "$(freezer_of "$1")/freezer.state" 2>/dev/null || echo none; }

cleanup_all() {
  local d p
  for d in $(find /sys/fs/cgroup/*/"$PARENT" -mindepth 1 -maxdepth 1 -type d 2>/dev/null); do
    for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    [ -f "$d/freezer.state" ] && echo THAWED >"$d/freezer.state" 2>/dev/null
  done
  sleep 0.3
  for c in "$ROOT"/*/; do [ -d "$c" ] && "$RUNC_1112" --root "$ROOT" delete --force "$(basename "$c")" >/dev/null 2>&1; done
  for d in /sys/fs/cgroup/*/"$PARENT"; do [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null; done
  return 0
}
on_exit cleanup_all

# bundle NAME [HOOK_SECONDS]: busybox sleeping, in cgroup /$PARENT/NAME; with a prestart hook sleeping that long.
bundle() {
  make_bundle "$WORK/$1" sleep 300
  jq --arg cg "/$PARENT/$1" --arg hook "${2:-}" '.linux.cgroupsPath = $cg |
     if $hook != "" then .hooks.prestart = [{path: "/bin/sleep", args: ["sleep", $hook]}] else . end' \
    "$WORK/$1/config.json" >"$WORK/$1/c.json" && mv "$WORK/$1/c.json" "$WORK/$1/config.json"
  echo "$WORK/$1"
}
start_detached() { "$1" --root "$ROOT" run -d --bundle "$(bundle "$2")" "$2" </dev/null >/dev/null 2>&1 || fail "run -d $2"; }
# elapsed_ms CMD...: runs CMD, sets RC and MS.
elapsed_ms() {
  local t0=$(date +%s%3N)
  RC=0
  "$@" >"$WORK/out" 2>&1 || RC=$?
  MS=$(($(date +%s%3N) - t0))
}

guard_config "$RUNC_103"

note "A. exec into a frozen container (1.0.3)"
start_detached "$RUNC_103" a1
freeze a1
elapsed_ms timeout -s KILL 3 "$RUNC_103" --root "$ROOT" exec a1 true
[ "$RC" = 137 ] || fail "bare 1.0.3 exec into a frozen container did not hang (rc $RC after $MS ms): $(cat "$WORK/out")"
echo "bare runc 1.0.3: exec hung (killed after ${MS} ms)"
elapsed_ms timeout -s KILL 10 "$GUARD" --root "$ROOT" exec a1 true
[ "$RC" = 1 ] && [ "$MS" -lt 2000 ] || fail "runc-guard exec: rc $RC after $MS ms: $(cat "$WORK/out")"
grep -q "container a1 is frozen.*would hang forever.*runc resume a1" "$WORK/out" || fail "refusal text: $(cat "$WORK/out")"
[ -n "$(events_named frozen.refused)" ] || fail "no frozen.refused event"
[ "$(freezer_state a1)" = FROZEN ] || fail "runc-guard thawed a container it did not freeze"
echo "runc-guard: refused in ${MS} ms: $(cat "$WORK/out")"

note "B. delete --force of a frozen container"
start_detached "$RUNC_103" b1
freeze b1
elapsed_ms "$RUNC_103" --root "$ROOT" delete --force b1
[ "$RC" != 0 ] && grep -q "container init still running" "$WORK/out" || fail "bare 1.0.3 delete --force: rc $RC: $(cat "$WORK/out")"
"$RUNC_103" --root "$ROOT" state b1 >/dev/null 2>&1 || fail "bare delete --force removed b1 after all"
echo "bare runc 1.0.3: delete --force failed after ${MS} ms and left b1 behind"
start_detached "$RUNC_103" b2
freeze b2
rm -f "$EVENTS"
elapsed_ms timeout -s KILL 20 "$GUARD" --root "$ROOT" delete --force b2
[ "$RC" = 0 ] && [ "$MS" -lt 3000 ] || fail "runc-guard delete --force: rc $RC after $MS ms: $(cat "$WORK/out")"
! "$RUNC_103" --root "$ROOT" state b2 >/dev/null 2>&1 || fail "b2 still exists"
[ ! -d "$(freezer_of b2)" ] || fail "b2's cgroup is still there"
[ "$(events_named frozen.thawed | jq -r .details.freezer)" = FROZEN ] || fail "no frozen.thawed event: $(cat "$EVENTS")"
echo "runc-guard: thawed, deleted in ${MS} ms"
guard_config "$RUNC_1112"
start_detached "$RUNC_1112" b3
freeze b3
rm -f "$EVENTS"
"$GUARD" --root "$ROOT" delete --force b3 || fail "1.1.12 delete --force through runc-guard"
[ -z "$(events_named frozen.thawed)" ] || fail "runc-guard thawed for 1.1.12, which does it itself"
echo "1.1.12 thaws by itself: runc-guard left it alone"
guard_config "$RUNC_103"

note "C. create into a frozen cgroup (1.0.3)"
mkdir -p "$(freezer_of c1)" && freeze c1
elapsed_ms timeout -s KILL 3 "$RUNC_103" --root "$ROOT" create --bundle "$(bundle c1)" c1
[ "$RC" = 137 ] || fail "bare 1.0.3 create into a frozen cgroup did not hang: rc $RC: $(cat "$WORK/out")"
left=$(cat "$(freezer_of c1)/cgroup.procs")
[ -n "$left" ] || fail "no runc init left in the frozen cgroup"
[ ! -f "$ROOT/c1/state.json" ] || fail "a state.json after the killed create"
echo "bare runc 1.0.3: create hung; killed, it left runc init $left frozen and no state.json"
"$GUARDCTL" doctor --json --dev-root "$WORK/dev" --runc-root "$ROOT" >"$WORK/doctor.json" || true
jq -e --arg pid "$left" '.checks[] | select(.id == "frozen.orphaned_init" and (.data.pid | tostring) == $pid)' "$WORK/doctor.json" >/dev/null ||
  fail "doctor did not report the orphaned frozen init: $(jq -c '.checks[] | select(.id | startswith("frozen"))' "$WORK/doctor.json")"
"$GUARDCTL" doctor --json --fix --dev-root "$WORK/dev" --runc-root "$ROOT" >"$WORK/doctor.json" || true
jq -e '.checks[] | select(.id == "frozen.orphaned_init") | select(.status == "ok" and .data.fixed.removed)' "$WORK/doctor.json" >/dev/null ||
  fail "doctor --fix: $(jq -c '.checks[] | select(.id | startswith("frozen"))' "$WORK/doctor.json")"
sleep 0.2
process_alive "$left" && fail "the orphaned init $left survived doctor --fix"
[ ! -d "$(freezer_of c1)" ] || fail "doctor --fix left the cgroup"
echo "doctor reported it; doctor --fix killed $left and removed the cgroup"
mkdir -p "$(freezer_of c2)" && freeze c2
elapsed_ms timeout -s KILL 10 "$GUARD" --root "$ROOT" create --bundle "$(bundle c2)" c2
[ "$RC" = 1 ] && [ "$MS" -lt 2000 ] || fail "runc-guard create: rc $RC after $MS ms: $(cat "$WORK/out")"
grep -q "cgroup $(freezer_of c2) is frozen" "$WORK/out" || fail "refusal text: $(cat "$WORK/out")"
[ -z "$(cat "$(freezer_of c2)/cgroup.procs")" ] || fail "a process was left in c2's cgroup"
echo "runc-guard: refused in ${MS} ms"

note "D. runc killed in the middle of update, the cgroup frozen"
for who in bare guard; do
  id=d-$who
  start_detached "$RUNC_103" $id
  rm -f "$EVENTS"
  # Nothing arrives on its stdin (a FIFO held open by us): runc update waits there, in the middle.
  rm -f "$WORK/fifo" && mkfifo "$WORK/fifo"
  runner=("$RUNC_103")
  [ $who = guard ] && runner=("$GUARD")
  "${runner[@]}" --root "$ROOT" update -r - $id <"$WORK/fifo" &
  upd=$!
  exec {feed}>"$WORK/fifo"
  sleep 0.5
  process_alive $upd || fail "$who: runc update did not wait for its input"
  freeze $id
  kill -9 $upd
  wait $upd 2>/dev/null || true
  exec {feed}>&-
  if [ $who = bare ]; then
    sleep 1
    [ "$(freezer_state $id)" = FROZEN ] || fail "bare: the cgroup did not stay frozen"
    echo "bare runc: killed mid-update, the container stays FROZEN"
  else
    for _ in $(seq 40); do [ "$(freezer_state $id)" = THAWED ] && break; sleep 0.05; done
    [ "$(freezer_state $id)" = THAWED ] || fail "runc-guard's watchdog did not thaw: $(freezer_state $id)"
    ev=$(events_named frozen.thawed)
    [ "$(jq -r .details.freezer_before <<<"$ev")" = THAWED ] && [ "$(jq -r .details.freezer_after_runc <<<"$ev")" = FROZEN ] &&
      [ "$(jq -r .details.freezer_now <<<"$ev")" = THAWED ] || fail "frozen.thawed evidence: $ev"
    echo "runc-guard: the watchdog thawed it after runc died: $(jq -c .details <<<"$ev")"
  fi
done
guard_config "$RUNC_103" 2
start_detached "$RUNC_103" d-deadline
rm -f "$EVENTS"
rm -f "$WORK/fifo" && mkfifo "$WORK/fifo"
exec {feed}<>"$WORK/fifo"  # read-write: opening never blocks, and runc's stdin never sees EOF
elapsed_ms "$GUARD" --root "$ROOT" --log "$WORK/log.json" update -r - d-deadline <"$WORK/fifo"
exec {feed}>&-
[ "$RC" = 137 ] && [ "$MS" -lt 5000 ] || fail "update past the deadline: rc $RC after $MS ms"
grep -q "runc-guard: runc update did not finish within 2s; killed" "$WORK/log.json" || fail "deadline message: $(cat "$WORK/log.json")"
expect_no_watchdog_within 3 "update deadline"
[ -n "$(events_named runc.killed)" ] || fail "no runc.killed event"
echo "runc-guard: update past the deadline killed after ${MS} ms"
guard_config "$RUNC_103"

note "E. runc killed in the middle of create, after its cgroup froze"
for who in bare guard; do
  id=e-$who
  runner=("$RUNC_103")
  [ $who = guard ] && runner=("$GUARD")
  rm -f "$EVENTS"
  "${runner[@]}" --root "$ROOT" create --bundle "$(bundle $id 47.123)" $id </dev/null >/dev/null 2>&1 &
  cre=$!
  for _ in $(seq 100); do [ -n "$(cat "$(freezer_of $id)/cgroup.procs" 2>/dev/null)" ] && break; sleep 0.05; done
  init=$(cat "$(freezer_of $id)/cgroup.procs" | tr '\n' ' ')  # runc init's stages, one or more
  [ -n "$init" ] || fail "$who: runc init never joined its cgroup"
  freeze $id
  kill -9 $cre
  wait $cre 2>/dev/null || true
  pkill -x -f "sleep 47.123" 2>/dev/null || true  # the hook runc left behind
  [ ! -f "$ROOT/$id/state.json" ] || fail "$who: a state.json exists after the killed create"
  if [ $who = bare ]; then
    sleep 1
    [ -n "$(cat "$(freezer_of $id)/cgroup.procs")" ] || fail "bare: runc init ($init) did not stay"
    [ -d "$(freezer_of $id)" ] || fail "bare: the cgroup is gone"
    echo "bare runc: killed mid-create, init $init stays frozen in its cgroup, no state.json"
  else
    for _ in $(seq 60); do [ ! -d "$(freezer_of $id)" ] && break; sleep 0.05; done
    [ ! -d "$(freezer_of $id)" ] || fail "runc-guard: the cgroup is still there: $(cat "$EVENTS" 2>/dev/null)"
    for p in $init; do process_alive $p && fail "runc-guard: runc init $p survived"; done
    ev=$(events_named cgroup.orphan_removed)
    [ "$(jq -r '.details.inits_killed | length' <<<"$ev")" -ge 1 ] && [ "$(jq -r .details.removed <<<"$ev")" = true ] ||
      fail "cgroup.orphan_removed evidence: $ev"
    for d in /sys/fs/cgroup/*/"$PARENT/$id"; do [ -d "$d" ] && fail "left in another hierarchy: $d"; done
    echo "runc-guard: the watchdog killed init $init and removed the cgroup: $(jq -c .details <<<"$ev")"
  fi
done
expect_no_watchdog_within 3 "end"
echo "frozen_container: all checks passed"
