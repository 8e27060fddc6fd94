# Created containers whose creator died (real runc 1.1.5). The creator here stands in for containerd-shim or
# conmon: a child subreaper that runs `runc create` and is then killed, before any `runc start`.
#  A. bare runc: the container stays `created` forever, its init reparented to pid 1.
#  B. doctor lists it once it is older than the reap age (and not a created container whose creator lives);
#     doctor --fix deletes it.
#  C. watchdog.reap_orphaned_created_after_s: the create's watchdog deletes it itself (event created.reaped);
#     a container that is started is left alone and its watchdog leaves; observe mode only reports.
source "$(dirname "$0")/../lib.sh"
need python3

make_workdir WORK
mkdir "$WORK/dev"  # doctor --fix would make links in the host's /dev
ROOT="$WORK/root"
EVENTS="$WORK/events.jsonl"
export RUNC_GUARD_CONFIG="$WORK/guard.json"
BUNDLE="$WORK/bundle"
make_bundle "$BUNDLE" sleep 300
on_exit 'for c in "$ROOT"/*/; do [ -d "$c" ] && "$REAL_RUNC" --root "$ROOT" delete --force "$(basename "$c")" >/dev/null 2>&1; done; true'

# guard_config REAP_AFTER_S [MODE]
guard_config() {
  write_config "$RUNC_GUARD_CONFIG" "{\"mode\": \"${2:-enforce}\", \"runtime\": {\"path\": \"$REAL_RUNC\"},
    \"log\": {\"events\": \"$EVENTS\"}, \"watchdog\": {\"reap_orphaned_created_after_s\": $1}}"
}

# creator RUNC ID: a subreaper (as containerd-shim is) that runs `RUNC create` and stays; prints its pid.
creator() {
  python3 - "$1" "$ROOT" "$BUNDLE" "$2" >"$WORK/creator.$2" 2>&1 <<'PY' &
import ctypes, os, subprocess, sys, time
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
runc, root, bundle, cid = sys.argv[1:]
subprocess.run([runc, "--root", root, "create", "--bundle", bundle, cid], stdin=subprocess.DEVNULL, check=True)
print("created", flush=True)
time.sleep(600)
PY
  local pid=$! _
  disown "$pid"  # no job notice when it is killed
  CREATORS+=("$pid")
  for _ in $(seq 100); do grep -q created "$WORK/creator.$2" 2>/dev/null && break; sleep 0.05; done
  grep -q created "$WORK/creator.$2" || fail "creator of $2: $(cat "$WORK/creator.$2")"
  CREATOR=$pid
}
CREATORS=()
on_exit 'kill -9 "${CREATORS[@]}" 2>/dev/null; true'
status_of() { "$REAL_RUNC" --root "$ROOT" state "$1" 2>/dev/null | jq -r .status; }
init_of() { jq -r .init_process_pid "$ROOT/$1/state.json"; }
ppid_of() { awk '/^PPid:/ {print $2}' "/proc/$1/status"; }

note "A. bare runc: the creator dies, the container stays created"
creator "$REAL_RUNC" a1
kill -9 "$CREATOR"
sleep 2
[ "$(status_of a1)" = created ] || fail "a1: $(status_of a1)"
init=$(init_of a1)
[ "$(ppid_of "$init")" = 1 ] || fail "a1's init $init was reparented to $(ppid_of "$init"), not pid 1: a subreaper above this test?"
echo "bare runc: a1 still created 2 s after its creator died; init $init now a child of pid 1"

note "B. doctor"
guard_config 2
creator "$REAL_RUNC" b-alive  # its creator lives on: not an orphan
sleep 1
"$GUARDCTL" doctor --json --dev-root "$WORK/dev" --runc-root "$ROOT" >"$WORK/doctor.json" || true
ids=$(jq -r '[.checks[] | select(.id == "created.orphaned") | .data.id] | sort | join(",")' "$WORK/doctor.json")
[ "$ids" = a1 ] || fail "doctor's orphaned created containers: [$ids], expected [a1]: $(jq -c '.checks[] | select(.id | startswith("created"))' "$WORK/doctor.json")"
"$GUARDCTL" doctor --json --fix --dev-root "$WORK/dev" --runc-root "$ROOT" >"$WORK/doctor.json" || true
jq -e '.checks[] | select(.id == "created.orphaned" and .data.id == "a1" and .status == "ok" and .data.delete_force_exit == 0)' "$WORK/doctor.json" >/dev/null ||
  fail "doctor --fix: $(jq -c '.checks[] | select(.id | startswith("created"))' "$WORK/doctor.json")"
[ -z "$(status_of a1)" ] || fail "a1 still there after doctor --fix"
[ "$(status_of b-alive)" = created ] || fail "doctor --fix touched b-alive, whose creator lives"
echo "doctor listed a1 only; --fix deleted it"

note "C. the watchdog reaps, when told (and only then)"
guard_config 0
creator "$GUARD" c0
kill -9 "$CREATOR"
sleep 3
[ "$(status_of c0)" = created ] || fail "c0 was reaped although reaping is off: $(status_of c0) $(cat "$EVENTS" 2>/dev/null)"
expect_no_watchdog_within 1 "reaping off"
"$REAL_RUNC" --root "$ROOT" delete --force c0
echo "reaping off: c0 stays created, no watchdog lingers"
guard_config 2
rm -f "$EVENTS"
creator "$GUARD" c1
kill -9 "$CREATOR"
for _ in $(seq 100); do [ -z "$(status_of c1)" ] && break; sleep 0.1; done
[ -z "$(status_of c1)" ] || fail "c1 was not reaped: $(status_of c1)"
ev=$(events_named created.reaped)
[ "$(jq -r .details.delete_force_exit <<<"$ev")" = 0 ] && [ "$(jq -r .details.age_s <<<"$ev")" -ge 2 ] ||
  fail "created.reaped: $ev"
echo "runc-guard: c1 reaped by its watchdog: $(jq -c .details <<<"$ev")"
creator "$GUARD" c2
"$GUARD" --root "$ROOT" start c2 || fail "start c2"
kill -9 "$CREATOR"
sleep 3
[ "$(status_of c2)" = running ] || fail "c2, started, is $(status_of c2)"
expect_no_watchdog_within 2 "started container"
echo "a started container is left alone, its watchdog gone"
guard_config 2 observe
rm -f "$EVENTS"
creator "$GUARD" c3
kill -9 "$CREATOR"
for _ in $(seq 60); do [ -n "$(events_named created.orphaned)" ] && break; sleep 0.1; done
[ "$(events_named created.orphaned | jq -r .details.observe)" = true ] || fail "observe: no created.orphaned event"
[ "$(status_of c3)" = created ] || fail "observe mode deleted c3"
expect_no_watchdog_within 2 "observe"
echo "observe: reported, left"
echo "created_orphans: all checks passed"
