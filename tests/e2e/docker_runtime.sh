# End-to-end: runc-guard as a dockerd runtime (issue 2, e2e section; issue 4: healthy containers untouched).
#
# A private containerd + dockerd (tests/e2e/lib.sh) with `--add-runtime runc-guard=$RG_BUILD/runc-guard`.
#  1. `docker info` / `docker version` with runc as default: runc's version line, runc-guard registered.
#  2. Lifecycle through `--runtime runc-guard` — run -d, run (foreground, stdin), exec, exec -i, exec -t,
#     update --memory, pause/unpause, top, stop, rm — asserting what docker prints and what the kernel
#     shows (cgroup limit, freezer state, exit status of a TERM handler). Run twice: once with
#     runtime.path = a recorder that proves every runc call came through runc-guard (its RUNC_GUARD_ACTIVE
#     marker; the commands in order; the `update -r -` JSON), once with runtime.path = /usr/bin/runc.
#  3. Failures — a create with a nonexistent entrypoint and an exec of a nonexistent binary — give
#     docker output and exit codes identical to the plain runc runtime's (ids/names/paths normalised).
#  4. dockerd restarted with `--default-runtime runc-guard`: docker info/version still show runc's
#     version and commit unchanged; run/exec/rm with no --runtime flag go through runc-guard.
#  5. The event log is valid JSON lines and reports no guard failure and no watchdog action.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNC_COMMIT=$("$REAL_RUNC" --version | sed -n 's/^commit: //p')
[ -n "$RUNC_COMMIT" ] || fail "could not read the commit line of '$REAL_RUNC --version'"

write_rg_config "$(base_rg_config)"
make_recorder
RECORDER_CONFIG=$(base_rg_config | jq --arg r "$RECORDER" '.runtime.path = $r')

start_dockerd
import_busybox_image
IMG=$E2E_IMAGE

# info_field LABEL: the value of one " LABEL: value" line of `docker info`.
info_field() { docker info 2>/dev/null | sed -n "s/^ *$1: //p"; }

# --- 1. docker info with runc as the default ------------------------------------------------------------
log "docker info (default runtime runc)"
assert_eq "runc" "$(info_field 'Default Runtime')" "docker info Default Runtime"
assert_contains " $(info_field Runtimes) " " runc-guard " "docker info Runtimes"
INFO_RUNC_LINE=$(docker info 2>/dev/null | grep '^ *runc version:')
assert_eq " runc version: $RUNC_COMMIT" "$INFO_RUNC_LINE" "docker info runc version line"
# runtime_component NAME: `docker version`'s component for the default runtime (dockerd names it after the
# runtime, so it is "runc-guard" when that is the default) without its name: {Version, Details}.
runtime_component() {
  docker version --format '{{json .Server.Components}}' | jq -c --arg n "$1" '.[] | select(.Name == $n) | {Version, Details}'
}
VERSION_RUNC=$(runtime_component runc)
[ -n "$VERSION_RUNC" ] || fail "docker version shows no runc component"

# --- 2. lifecycle ---------------------------------------------------------------------------------------
# lifecycle NAME DOCKER_RUN_FLAGS...: the whole docker lifecycle of one container; prints its full id.
lifecycle() {
  local name=$1
  shift
  local id pid cg t0 t1

  # docker run (foreground): stdout, exit status and stdin pass through.
  capture docker run --rm "$@" "$IMG" sh -c 'echo run-out; echo run-err >&2; exit 7'
  assert_eq "7:run-out:run-err" "$RC:$OUT:$ERR" "docker run (foreground) exit:stdout:stderr"
  OUT=$(echo piped-in | docker run --rm -i "$@" "$IMG" cat)
  assert_eq "piped-in" "$OUT" "docker run -i stdin"

  # docker run -d: a container that exits 0 on SIGTERM (proves stop's TERM reaches it).
  id=$(docker run -d --name "$name" "$@" "$IMG" sh -c 'trap "exit 0" TERM; echo started; while :; do sleep 1; done')
  [[ "$id" =~ ^[0-9a-f]{64}$ ]] || fail "docker run -d printed '$id', not a container id"
  assert_eq "true" "$(docker inspect -f '{{.State.Running}}' "$name")" "container running after run -d"
  [ -f "$(bundle_dir "$id")/config.json" ] || fail "no bundle for $id under our containerd state dir $(bundle_dir "$id")"
  pid=$(container_pid "$name")
  local i
  for ((i = 0; i < 50; i++)); do [ "$(docker logs "$name" 2>&1)" = started ] && break; sleep 0.1; done
  assert_eq "started" "$(docker logs "$name" 2>&1)" "container stdout (docker logs)"

  # docker exec: stdout, stderr and exit status separately; -i stdin; -t a terminal.
  capture docker exec "$name" sh -c 'echo exec-out; echo exec-err >&2; exit 3'
  assert_eq "3:exec-out:exec-err" "$RC:$OUT:$ERR" "docker exec exit:stdout:stderr"
  OUT=$(echo exec-in | docker exec -i "$name" cat)
  assert_eq "exec-in" "$OUT" "docker exec -i stdin"
  capture docker exec -t "$name" sh -c 'tty; echo tty-ok'
  [[ "$OUT" =~ ^/dev/pts/[0-9]+$'\r\n'tty-ok$'\r'$ ]] || fail "docker exec -t: expected a pts and 'tty-ok' with CRLF, got $(printf '%q' "$OUT")"
  docker exec -d "$name" sleep 4242

  # docker update --memory: the new limit is in the container's memory cgroup.
  docker update --memory 64m --memory-swap 128m "$name" >/dev/null
  assert_eq "67108864" "$(cat "$(cgroup_file "$pid" memory memory.limit_in_bytes)")" "memory.limit_in_bytes after update"
  assert_eq "67108864" "$(docker inspect -f '{{.HostConfig.Memory}}' "$name")" "HostConfig.Memory after update"

  # docker pause / unpause: the freezer state follows, exec is refused while paused.
  cg=$(cgroup_file "$pid" freezer freezer.state)
  docker pause "$name" >/dev/null
  assert_eq "FROZEN" "$(cat "$cg")" "freezer.state after pause"
  assert_eq "true" "$(docker inspect -f '{{.State.Paused}}' "$name")" "State.Paused after pause"
  capture docker exec "$name" true
  assert_contains "$ERR" "is paused" "docker exec into a paused container"
  docker unpause "$name" >/dev/null
  assert_eq "THAWED" "$(cat "$cg")" "freezer.state after unpause"
  assert_eq "unpaused" "$(docker exec "$name" echo unpaused)" "docker exec after unpause"

  # docker top: runc ps --format json parsed by containerd; header, init pid and the exec'd sleep.
  capture docker top "$name"
  assert_eq 0 "$RC" "docker top exit status (stderr: $ERR)"
  assert_eq "UID PID PPID C STIME TTY TIME CMD" "$(echo "$OUT" | head -1 | tr -s ' ')" "docker top header"
  echo "$OUT" | awk -v p="$pid" 'NR > 1 && $2 == p' | grep -q 'sh -c trap' || fail "docker top: no row for init pid $pid running 'sh -c trap ...': $OUT"
  echo "$OUT" | grep -q 'sleep 4242$' || fail "docker top: the exec'd 'sleep 4242' is missing: $OUT"

  # docker stop: TERM handled (exit 0) well before the 20s timeout.
  t0=$(date +%s)
  docker stop -t 20 "$name" >/dev/null
  t1=$(date +%s)
  assert_eq "false:0" "$(docker inspect -f '{{.State.Running}}:{{.State.ExitCode}}' "$name")" "Running:ExitCode after stop"
  [ $((t1 - t0)) -lt 10 ] || fail "docker stop took $((t1 - t0))s: SIGTERM did not reach the container"

  # docker rm: container, bundle and runc state are gone.
  docker rm "$name" >/dev/null
  capture docker inspect "$name"
  [ "$RC" != 0 ] || fail "container $name still exists after docker rm"
  [ ! -e "$(bundle_dir "$id")" ] || fail "bundle $(bundle_dir "$id") left behind after docker rm"
  ! ls -d "$E2E"/exec/runtime-*/moby/"$id" >/dev/null 2>&1 || fail "runc state for $id left behind after docker rm"
  LIFECYCLE_ID=$id
}

# assert_recorded ID CMD...: the recorder saw these runc commands for ID, in this order of first use,
# every call exec'd by runc-guard (its RUNC_GUARD_ACTIVE marker set; a script cannot see its argv[0]).
assert_recorded() {
  local id=$1
  shift
  local seen want
  grep -F -- "$id" "$RECORDED" >"$E2E/recorded.id" || fail "no runc call for $id went through runc-guard (recorder log empty for it)"
  grep -Ev "^marker=[0-9]+\.1 " "$E2E/recorded.id" >&2 && fail "runc calls for $id without runc-guard's marker (above)"
  seen=$(recorded_commands "$id" | awk '!s[$0]++' | tr '\n' ' ')
  want="$* "
  assert_eq "$want" "$seen" "runc commands (first use, in order) for $id through runc-guard"
}

log "lifecycle through --runtime runc-guard, runtime.path = recorder"
write_rg_config "$RECORDER_CONFIG"
lifecycle rg-rec --runtime runc-guard
assert_recorded "$LIFECYCLE_ID" create start exec update pause resume ps kill delete
UPDATE_JSON=$(cat "$E2E"/update-stdin.* 2>/dev/null) || fail "no 'update -r -' stdin was recorded"
assert_eq "67108864" "$(echo "$UPDATE_JSON" | jq -s 'map(.memory.limit // empty) | last')" "memory.limit in the JSON runc update got on stdin"
# A plain-runc container never goes through runc-guard.
docker run --rm --runtime runc "$IMG" true
PLAIN_ID=$(docker run -d --runtime runc "$IMG" sleep 60)
! grep -qF "$PLAIN_ID" "$RECORDED" || fail "a --runtime runc container went through runc-guard"
docker rm -f "$PLAIN_ID" >/dev/null

log "lifecycle through --runtime runc-guard, runtime.path = $REAL_RUNC"
write_rg_config "$(base_rg_config)"
: >"$RECORDED"
lifecycle rg-real --runtime runc-guard
[ ! -s "$RECORDED" ] || fail "runc-guard used the recorder although runtime.path is $REAL_RUNC"

log "lifecycle through --runtime runc (reference)"
lifecycle plain --runtime runc

# --- 3. failures identical to runc's ----------------------------------------------------------------------
log "failing create and exec: runc-guard vs runc"
# create_failure RUNTIME: docker run's exit status and normalised stderr for a nonexistent entrypoint.
create_failure() {
  capture docker run --runtime "$1" --name "fail-$1" "$IMG" /nonexistent/entrypoint
  [ "$RC" != 0 ] || fail "docker run of a nonexistent entrypoint succeeded with runtime $1"
  docker rm -f "fail-$1" >/dev/null 2>&1 || true
  printf 'exit=%s\nstdout=%s\n%s\n' "$RC" "$OUT" "$ERR" | normalise_docker_error "fail-$1"
}
FAIL_RUNC=$(create_failure runc)
FAIL_GUARD=$(create_failure runc-guard)
assert_contains "$FAIL_RUNC" 'exec: "/nonexistent/entrypoint"' "reference create failure through runc"
[ "$FAIL_GUARD" == "$FAIL_RUNC" ] || fail "create failure differs from runc's:
--- runc ---
$FAIL_RUNC
--- runc-guard ---
$FAIL_GUARD"

exec_failure() {
  local id
  id=$(docker run -d --runtime "$1" --name "execfail-$1" "$IMG" sleep 60)
  capture docker exec "execfail-$1" /nonexistent/binary
  docker rm -f "$id" >/dev/null
  printf 'exit=%s\nstdout=%s\n%s\n' "$RC" "$OUT" "$ERR" | normalise_docker_error "execfail-$1"
}
EXECFAIL_RUNC=$(exec_failure runc)
EXECFAIL_GUARD=$(exec_failure runc-guard)
assert_contains "$EXECFAIL_RUNC" '/nonexistent/binary' "reference exec failure through runc"
[ "$EXECFAIL_GUARD" == "$EXECFAIL_RUNC" ] || fail "exec failure differs from runc's:
--- runc ---
$EXECFAIL_RUNC
--- runc-guard ---
$EXECFAIL_GUARD"
assert_events_valid

# --- 4. runc-guard as dockerd's default runtime -----------------------------------------------------------
log "restarting dockerd with --default-runtime runc-guard"
remove_all_containers
stop_dockerd
DOCKERD_LOG_MARK=$(wc -l <"$E2E/dockerd.log")
start_dockerd --default-runtime runc-guard
assert_eq "runc-guard" "$(info_field 'Default Runtime')" "docker info Default Runtime"
assert_eq "$INFO_RUNC_LINE" "$(docker info 2>/dev/null | grep '^ *runc version:')" "docker info runc version line with runc-guard as default"
assert_eq "$VERSION_RUNC" "$(runtime_component runc-guard)" "docker version's runtime component with runc-guard as default"
capture docker info
[[ "$ERR$OUT" != *"failed to retrieve"* ]] || fail "docker info could not get the runtime's version: $ERR"
tail -n +"$((DOCKERD_LOG_MARK + 1))" "$E2E/dockerd.log" | grep -iE 'failed to (retrieve|parse).*(runc|runtime|version)' >&2 &&
  fail "dockerd could not read runc-guard's --version (above)"

# default_runtime_roundtrip: run -d / exec / run / rm without --runtime; prints the container id.
default_runtime_roundtrip() {
  local id
  id=$(docker run -d --name "$1" "$IMG" sleep 300)
  assert_eq "runc-guard" "$(docker inspect -f '{{.HostConfig.Runtime}}' "$1")" "HostConfig.Runtime with no --runtime flag"
  assert_eq "default-exec" "$(docker exec "$1" echo default-exec)" "docker exec (default runtime)"
  assert_eq "default-run" "$(docker run --rm "$IMG" echo default-run)" "docker run (default runtime)"
  capture docker exec -t "$1" echo default-tty
  assert_eq "default-tty"$'\r' "$OUT" "docker exec -t (default runtime)"
  docker rm -f "$1" >/dev/null
  capture docker inspect "$1"
  [ "$RC" != 0 ] || fail "container $1 still exists after docker rm -f"
  DEFAULT_ID=$id
}
write_rg_config "$RECORDER_CONFIG"
: >"$RECORDED"
default_runtime_roundtrip def-rec
assert_recorded "$DEFAULT_ID" create start exec kill delete
write_rg_config "$(base_rg_config)"
: >"$RECORDED"
default_runtime_roundtrip def-real
[ ! -s "$RECORDED" ] || fail "runc-guard used the recorder although runtime.path is $REAL_RUNC"

# --- 5. the event log -------------------------------------------------------------------------------------
assert_events_valid
log "event log: $(event_summary)"
remove_all_containers
assert_no_guard_processes
log "PASS"
