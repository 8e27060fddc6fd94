# End-to-end: the Kubernetes path — containerd 1.6's CRI plugin with a RuntimeClass handler for
# runc-guard, driven by crictl v1.26.1 (the calls kubelet makes: RunPodSandbox, CreateContainer, Exec, …).
#
# A private containerd (tests/e2e/lib.sh, start_cri_containerd): CRI plugin on, restrict_oom_score_adj,
# overlayfs, a busybox pause image and a busybox image built here as OCI archives and imported with ctr,
# pods on the host network with their cgroups under /<temp dir name>, runc state in the temp dir. Handlers:
# runc (/usr/bin/runc), runc-guard ($RG_BUILD/runc-guard), rc93 (the real runc 1.0.0-rc93, bare) and
# runc-guard-wrapped (a wrapper script naming another runc-guard config, install/README.md).
#  1. The same crictl transcript through `--runtime runc-guard` (runtime.path = a recorder, then the real
#     runc) and `--runtime runc`: runp, inspectp, create, start, logs, exec, exec exiting 3, exec -i,
#     exec -it, exec --sync exiting 4, update --memory, inspect, ps, the bundle's config.json, stop,
#     inspect, rm, stopp, rmp, inspectp. Ids, timestamps, pids, handler names and paths are normalised;
#     any difference fails. The kernel's view is asserted along the way (memory cgroup limit after
#     update, TERM handled on stop). The recorder proves every runc call of the runc-guard handler went
#     through runc-guard (its RUNC_GUARD_ACTIVE marker, commands in order) and none of the runc handler's.
#  2. Per-handler config through a wrapper script: the handler's invocations read the wrapper's config
#     (its metrics file counts them; the main config has no metrics), the wrapper does not trip loop
#     detection, and a wrapper whose config leads back to itself is refused as a loop.
#  3. The seed incident with the real rc93: no_new_privs + a Localhost seccomp profile (9 KiB program) +
#     fs.pipe-user-pages-soft = 1 (restored on every exit path). Through handler rc93 `crictl start`
#     hangs (bounded wait) with runc init in anon_pipe_write; cleaned up. Through handler runc-guard
#     (runtime.path = rc93) `crictl start` returns within 1 s, the container runs with Seccomp: 2, and the
#     event log has init.blocked and init.unstuck. The sysctl is machine-wide: an attempt spoiled by
#     another test changing it meanwhile is retried (at most 3, logged).
#  4. `runc-guardctl install containerd` on a copy of a real config.toml (containerd 1.6's default config,
#     adapted to our private paths): containerd restarted on it, the installed handler runs a pod and a
#     container through runc-guard.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# A command failing outside an assertion names itself (set -e alone exits silently); failures inside
# command substitutions are reported by the assignment that consumes them.
set -E
trap '[ "$BASH_SUBSHELL" != 0 ] || echo "FAIL: unexpected exit status $? at line $LINENO: $BASH_COMMAND" >&2' ERR
GUARDCTL="$RG_BUILD/runc-guardctl"
[ -x "$GUARDCTL" ] || fail "$GUARDCTL not built"
command -v python3 >/dev/null || fail "required tool 'python3' is not installed (tests/run.sh installs it)"
RC93=$(runc_release v1.0.0-rc93)
SECCOMP_SRC="$RG_SOURCE/../shared/testdata/seccomp/all-syscalls-3arch.json"
[ -f "$SECCOMP_SRC" ] || fail "seccomp profile $SECCOMP_SRC missing (../shared/testdata beside the checkout)"

# A private seccomp cache, so the profile is compiled cold (by the watchdog) in every run.
rg_config() {  # rg_config RUNTIME_PATH: the runc-guard config of the handler runc-guard
  base_rg_config | jq --arg r "$1" --arg cache "$E2E/seccomp-cache" '.runtime.path = $r | .seccomp.cache_dir = $cache'
}
make_recorder
write_rg_config "$(rg_config "$RECORDER")"

# The wrapper of install/README.md: another config for one handler, runc-guard exec'd in place.
WRAPPED_CONFIG="$E2E/wrapped.json"
WRAPPER="$E2E/runc-guard-wrapped"
printf '#!/bin/sh\nRUNC_GUARD_CONFIG=%s exec %s "$@"\n' "$WRAPPED_CONFIG" "$GUARD" >"$WRAPPER"
chmod 0755 "$WRAPPER"
jq -n --arg r "$REAL_RUNC" --arg m "$E2E/wrapped-metrics" --arg ev "$E2E/wrapped-events.jsonl" \
  '{runtime: {path: $r}, log: {events: $ev}, metrics: {textfile_dir: $m}}' >"$WRAPPED_CONFIG"
chmod 0644 "$WRAPPED_CONFIG"

start_cri_containerd runc="$REAL_RUNC" runc-guard="$GUARD" rc93="$RC93" runc-guard-wrapped="$WRAPPER"

# --- the transcript -------------------------------------------------------------------------------------
# normalise_json HANDLER BINARY: stdin JSON with pids, timestamps and exact handler/binary strings replaced.
normalise_json() {
  jq -S --arg h "$1" --arg b "$2" 'walk(
      if type == "object" then with_entries(
        if (.key | test("^(createdAt|startedAt|finishedAt)$")) and .value != "0001-01-01T00:00:00Z" and .value != "0" then .value = "<TS>"
        elif .key == "pid" then .value = "<PID>"
        else . end)
      elif type == "string" and . == $h then "<HANDLER>"
      elif type == "string" and . == $b then "<BINARY>"
      else . end)'
}
# normalise_text NAME: stdin with our temp dir, pod name, ids, /proc pids, pts numbers and log times replaced.
normalise_text() {
  sed -E -e "s#$E2E#<E2E>#g" -e "s#$(basename "$E2E")#<TMP>#g" -e "s#$1#<NAME>#g" \
    -e 's/[0-9a-f]{64}/<ID>/g' -e 's#/proc/[0-9]+/#/proc/<PID>/#g' -e 's#/dev/pts/[0-9]+#/dev/pts/<N>#g' \
    -e 's/time="[^"]*"/time="<TS>"/g' -e 's/^[0-9TZ:.-]{20,} /<TS> /'
}

# with_pty CMD...: CMD on a new pseudo-terminal (as from a shell), its output on stdout, its exit status.
# Python's pty.spawn stops reading an exhausted stdin instead of sending the terminal an EOF.
with_pty() {
  python3 -c 'import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))' "$@"
}

# step LABEL CMD...: runs CMD (stdin from $STEP_IN if set), appends label, exit status, stdout and stderr
# to the transcript $TX (JSON stdout normalised with normalise_json); leaves OUT, ERR, RC.
step() {
  local label=$1 rc=0
  shift
  "$@" <"${STEP_IN:-/dev/null}" >"$E2E/step.out" 2>"$E2E/step.err" || rc=$?
  OUT=$(cat "$E2E/step.out")
  ERR=$(cat "$E2E/step.err")
  RC=$rc
  {
    printf '== %s: exit %s\n' "$label" "$RC"
    if jq -e . "$E2E/step.out" >/dev/null 2>&1; then normalise_json "$TX_HANDLER" "$TX_BINARY" <"$E2E/step.out"; else cat "$E2E/step.out"; fi
    printf -- '-- stderr\n'
    cat "$E2E/step.err"
  } | normalise_text "$TX_NAME" >>"$TX"
}

# transcript HANDLER BINARY NAME: one pod (tx-NAME) with one container through runtime handler HANDLER, every
# step into $E2E/transcript.NAME; asserts what must hold for any handler. Sets TX_POD and TX_CTR.
transcript() {
  TX_HANDLER=$1 TX_BINARY=$2 TX_NAME=tx-$3
  TX="$E2E/transcript.$3"
  : >"$TX"
  local podcfg ctrcfg pod ctr pid t0 i memfile
  podcfg=$(cri_pod_config "$TX_NAME")
  ctrcfg=$(cri_container_config app container.json)

  step runp cri runp --runtime "$TX_HANDLER" "$podcfg"
  [[ "$RC:$OUT" =~ ^0:[0-9a-f]{64}$ ]] || fail "$TX_NAME: crictl runp --runtime $TX_HANDLER: exit $RC, '$OUT' $ERR"
  pod=$OUT TX_POD=$OUT
  step "inspectp (ready)" cri inspectp "$pod"
  assert_eq "SANDBOX_READY:$TX_HANDLER" "$(jq -r '.status.state + ":" + .status.runtimeHandler' <<<"$OUT")" "$TX_NAME: pod state:handler"
  step create cri create "$pod" "$ctrcfg" "$podcfg"
  [[ "$RC:$OUT" =~ ^0:[0-9a-f]{64}$ ]] || fail "$TX_NAME: crictl create: exit $RC, '$OUT' $ERR"
  ctr=$OUT TX_CTR=$OUT
  step start cri start "$ctr"
  assert_eq "0:$ctr" "$RC:$OUT" "$TX_NAME: crictl start (stderr: $ERR)"
  pid=$(cri_pid "$ctr")
  for ((i = 0; i < 50; i++)); do [ "$(cri logs "$ctr" 2>&1)" = started ] && break; sleep 0.1; done
  step logs cri logs "$ctr"
  assert_eq "started" "$OUT$ERR" "$TX_NAME: container log"

  step exec cri exec "$ctr" sh -c 'echo exec-out; echo exec-err >&2'
  assert_eq "0:exec-out:exec-err" "$RC:$OUT:$ERR" "$TX_NAME: crictl exec exit:stdout:stderr"
  step "exec exiting 3" cri exec "$ctr" sh -c 'echo before-exit; exit 3'
  assert_eq "1:before-exit" "$RC:$OUT" "$TX_NAME: crictl exec of a command exiting 3"
  assert_contains "$ERR" "command terminated with exit code 3" "$TX_NAME: crictl exec's error for exit code 3"
  echo exec-in >"$E2E/stdin"
  STEP_IN="$E2E/stdin" step "exec -i" cri exec -i "$ctr" cat
  assert_eq "0:exec-in" "$RC:$OUT" "$TX_NAME: crictl exec -i stdin"
  step "exec -it" with_pty "$CRICTL" --config "$E2E/crictl.yaml" exec -it "$ctr" sh -c 'tty; echo tty-ok'
  [[ "$RC:$OUT" =~ ^0:/dev/pts/[0-9]+$'\r\n'tty-ok$'\r'$ ]] || fail "$TX_NAME: crictl exec -it: exit $RC, $(printf '%q' "$OUT") $ERR"
  step "exec --sync exiting 4" cri exec --sync "$ctr" sh -c 'echo sync-out; exit 4'
  assert_eq 1 "$RC" "$TX_NAME: crictl exec --sync of a command exiting 4"
  assert_contains "$ERR" "exited with 4" "$TX_NAME: crictl exec --sync's error for exit code 4"

  step "update --memory 64Mi" cri update --memory 67108864 "$ctr"
  assert_eq "0:$ctr" "$RC:$OUT" "$TX_NAME: crictl update (stderr: $ERR)"
  memfile=$(cgroup_file "$pid" memory memory.limit_in_bytes)
  [[ "$memfile" == "/sys/fs/cgroup/memory$CRI_CGROUP_PARENT/"* ]] || fail "$TX_NAME: container cgroup $memfile not under $CRI_CGROUP_PARENT"
  assert_eq 67108864 "$(cat "$memfile")" "$TX_NAME: memory.limit_in_bytes after crictl update"
  step "inspect (running)" cri inspect "$ctr"
  assert_eq "CONTAINER_RUNNING:67108864" "$(jq -r '.status.state + ":" + .status.resources.linux.memoryLimitInBytes' <<<"$OUT")" \
    "$TX_NAME: inspect state:memoryLimitInBytes"
  step "ps" cri ps -a --pod "$pod" -o json
  step "bundle config.json" jq -S . "$(cri_bundle "$ctr")/config.json"

  t0=$SECONDS
  step "stop -t 10" cri stop -t 10 "$ctr"
  assert_eq "0:$ctr" "$RC:$OUT" "$TX_NAME: crictl stop (stderr: $ERR)"
  [ $((SECONDS - t0)) -lt 8 ] || fail "$TX_NAME: crictl stop took $((SECONDS - t0))s: SIGTERM did not reach the container"
  step "inspect (exited)" cri inspect "$ctr"
  assert_eq "CONTAINER_EXITED:0" "$(jq -r '.status.state + ":" + (.status.exitCode | tostring)' <<<"$OUT")" "$TX_NAME: state:exitCode after stop"
  step rm cri rm "$ctr"
  step stopp cri stopp "$pod"
  step rmp cri rmp "$pod"
  assert_eq "0" "$RC" "$TX_NAME: crictl rmp (stderr: $ERR)"
  step "inspectp (removed)" cri inspectp "$pod"
  [ "$RC" != 0 ] || fail "$TX_NAME: pod $pod still exists after rmp"
  [ ! -e "$(cri_bundle "$ctr")" ] && [ ! -e "$(cri_bundle "$pod")" ] || fail "$TX_NAME: bundles left behind after rmp"
  [ ! -e "$CRI_RUNC_ROOT/k8s.io/$ctr" ] && [ ! -e "$CRI_RUNC_ROOT/k8s.io/$pod" ] || fail "$TX_NAME: runc state left behind after rmp"
}

# assert_recorded ID CMD...: the recorder saw these runc commands for ID (first use, in order), every call
# exec'd by runc-guard (its RUNC_GUARD_ACTIVE marker).
assert_recorded() {
  local id=$1 seen
  shift
  grep -F -- "$id" "$RECORDED" >"$E2E/recorded.id" || fail "no runc call for $id went through runc-guard (recorder log has none)"
  grep -Ev "^marker=[0-9]+\.1 " "$E2E/recorded.id" >&2 && fail "runc calls for $id without runc-guard's marker (above)"
  seen=$(recorded_commands "$id" | awk '!s[$0]++' | tr '\n' ' ')
  assert_eq "$* " "$seen" "runc commands (first use, in order) for $id through runc-guard"
}

log "1. transcript through --runtime runc-guard (runtime.path = recorder)"
transcript runc-guard "$GUARD" rg-rec
assert_recorded "$TX_POD" create start kill delete
assert_recorded "$TX_CTR" create start exec update kill delete
assert_eq 67108864 "$(cat "$E2E"/update-stdin.* | jq -s 'map(.memory.limit // empty) | last')" "memory.limit in the JSON runc update got on stdin"
assert_no_guard_processes

log "1. transcript through --runtime runc-guard (runtime.path = $REAL_RUNC)"
write_rg_config "$(rg_config "$REAL_RUNC")"
: >"$RECORDED"
transcript runc-guard "$GUARD" rg-real
[ ! -s "$RECORDED" ] || fail "runc-guard used the recorder although runtime.path is $REAL_RUNC"
assert_no_guard_processes

log "1. transcript through --runtime runc (reference)"
write_rg_config "$(rg_config "$RECORDER")"
transcript runc "$REAL_RUNC" runc
[ ! -s "$RECORDED" ] || fail "the runc handler went through runc-guard: $(cat "$RECORDED")"
for t in rg-rec rg-real; do
  diff -u "$E2E/transcript.runc" "$E2E/transcript.$t" >"$E2E/transcript.diff" ||
    fail "crictl transcript through runc-guard ($t) differs from runc's:
$(cat "$E2E/transcript.diff")"
done
log "transcripts identical ($(grep -c '^== ' "$E2E/transcript.runc") steps)"
assert_events_valid
[ ! -s "$RG_EVENTS" ] || fail "runc-guard logged events for healthy containers: $(cat "$RG_EVENTS")"

# --- 2. a per-handler config through a wrapper script ----------------------------------------------------
log "2. handler runc-guard-wrapped (BinaryName = wrapper script setting RUNC_GUARD_CONFIG)"
: >"$RECORDED"
POD=$(cri runp --runtime runc-guard-wrapped "$(cri_pod_config wrapped)") || fail "runp through the wrapper failed"
CTR=$(cri create "$POD" "$(cri_container_config app container.json)" "$E2E/pod-wrapped.json") || fail "create through the wrapper failed"
cri start "$CTR" >/dev/null || fail "start through the wrapper failed"
assert_eq "wrapped" "$(cri exec "$CTR" echo wrapped)" "crictl exec through the wrapper"
cri rmp -f "$POD" >/dev/null || fail "rmp -f through the wrapper failed"
PROM="$E2E/wrapped-metrics/runc_guard.prom"
[ -f "$PROM" ] || fail "no metrics in $PROM: the wrapper's config was not used"
for cmd in create start exec; do
  grep -Eq "^runc_guard_invocations_total\{command=\"$cmd\"\} [1-9]" "$PROM" ||
    fail "wrapper: no $cmd invocation counted under the wrapper's config: $(cat "$PROM")"
done
[ ! -s "$RECORDED" ] || fail "the wrapped handler read the main config (its runtime.path, the recorder, ran): $(head -3 "$RECORDED")"
[ ! -e "$E2E/wrapped-events.jsonl" ] || fail "wrapper: events for healthy containers: $(cat "$E2E/wrapped-events.jsonl")"
# A wrapper whose config names the wrapper itself as runc: runc-guard → wrapper → runc-guard with
# RUNC_GUARD_ACTIVE set → refused as a loop (no endless exec chain).
LOOP_CONFIG="$E2E/loop.json"
LOOP_WRAPPER="$E2E/runc-guard-loop"
printf '#!/bin/sh\nRUNC_GUARD_CONFIG=%s exec %s "$@"\n' "$LOOP_CONFIG" "$GUARD" >"$LOOP_WRAPPER"
chmod 0755 "$LOOP_WRAPPER"
jq -n --arg r "$LOOP_WRAPPER" '{runtime: {path: $r}, log: {events: ""}}' >"$LOOP_CONFIG"
chmod 0644 "$LOOP_CONFIG"
capture timeout 10 "$LOOP_WRAPPER" --root "$CRI_RUNC_ROOT/k8s.io" state no-such-container
assert_eq 1 "$RC" "exit status of a wrapper looping back to itself"
assert_contains "$ERR" "runc-guard: refusing to run: RUNC_GUARD_ACTIVE names this very process" "error of a wrapper looping back to itself"
log "wrapper: its config used (metrics), no loop refusal through containerd; a looping wrapper is refused"

# --- 3. the seed incident with the real rc93 -------------------------------------------------------------
log "3. rc93: no_new_privs + 9 KiB seccomp program + pipe-user-pages-soft = 1"
mkdir -p "$E2E/seccomp"
cp "$SECCOMP_SRC" "$E2E/seccomp/all-syscalls-3arch.json"
SOFT_FILE=/proc/sys/fs/pipe-user-pages-soft
SOFT_OLD=$(cat "$SOFT_FILE")
[[ "$SOFT_OLD" =~ ^[0-9]+$ ]] || fail "cannot read $SOFT_FILE"
restore_soft() { [ "$(cat "$SOFT_FILE")" = "$SOFT_OLD" ] || echo "$SOFT_OLD" >"$SOFT_FILE"; }
on_exit restore_soft
# Set to 1 right before each start. The sysctl is machine-wide and another test on this machine may set or
# restore it meanwhile: an attempt that did not see the hazard while the value had been changed under us
# is retried (at most 3 attempts, each logged); anything else is a failure.
soft_changed() {  # soft_changed WHAT: true (and logged) when the sysctl is no longer 1
  local now
  now=$(cat "$SOFT_FILE")
  [ "$now" != 1 ] || return 1
  log "$1: $SOFT_FILE was changed to $now by another process meanwhile (it is machine-wide); retrying"
}
nnp_container() {  # nnp_container NAME: container config with no_new_privs and the Localhost profile
  cri_container_config "$1" container-seccomp.json \
    ".linux.security_context.seccomp.localhost_ref = \"$E2E/seccomp/all-syscalls-3arch.json\""
}
ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
# start_nnp HANDLER NAME: a pod through HANDLER and the nnp/seccomp container in it (created, not started);
# sets POD and CTR.
start_nnp() {
  POD=$(cri runp --runtime "$1" "$(cri_pod_config "$2")") || fail "runp through handler $1 failed"
  CTR=$(cri create "$POD" "$(nnp_container "$2")" "$E2E/pod-$2.json") || fail "create through handler $1 failed"
  # CRI creates the task (runc create) in StartContainer; the spec containerd generated is in inspect.
  cri inspect "$CTR" | jq -e '.info.runtimeSpec | .process.noNewPrivileges == true and (.linux.seccomp.architectures | length) == 3' >/dev/null ||
    fail "the container spec lacks noNewPrivileges or the 3-architecture seccomp profile: $(cri inspect "$CTR" | jq -c '.info.runtimeSpec | {nnp: .process.noNewPrivileges, arch: .linux.seccomp.architectures}')"
  echo 1 >"$SOFT_FILE"
}
# remove_pod POD CTR: the container (its runc init killed first if it is still there) and the pod; no
# bundle, runc state or process of either may be left.
remove_pod() {
  local pod=$1 ctr=$2 init i d
  init=$(jq -r .init_process_pid "$CRI_RUNC_ROOT/k8s.io/$ctr/state.json" 2>/dev/null) || init=
  [[ "$init" =~ ^[0-9]+$ && "$(cat "/proc/$init/comm" 2>/dev/null)" == "runc:["* ]] && kill -KILL "$init"
  # containerd's StartContainer fails once runc start has seen its init die; until then rm is refused
  # ("container is in starting state").
  for ((i = 0; i < 100; i++)); do
    capture cri rm -f "$ctr"
    [ "$RC" = 0 ] && break
    sleep 0.1
  done
  assert_eq 0 "$RC" "crictl rm -f $ctr within 10 s (stderr: $ERR)"
  cri stopp "$pod" >/dev/null && cri rmp "$pod" >/dev/null || fail "could not remove pod $pod"
  for d in "$CRI_RUNC_ROOT/k8s.io/$ctr" "$(cri_bundle "$ctr")" "$CRI_RUNC_ROOT/k8s.io/$pod" "$(cri_bundle "$pod")"; do
    [ ! -e "$d" ] || fail "left behind after removing container $ctr and its pod: $d"
  done
  ! pgrep -f -- "$ctr" >/dev/null || fail "processes of container $ctr left: $(pgrep -af -- "$ctr")"
}

# Bare rc93: the hang, shown with a bounded wait.
BARE_HUNG=
for attempt in 1 2 3; do
  start_nnp rc93 "rc93-$attempt"
  capture timeout 5 "$CRICTL" --config "$E2E/crictl.yaml" --timeout 120s start "$CTR"
  if [ "$RC" != 124 ] && soft_changed "bare rc93 start (attempt $attempt)"; then
    remove_pod "$POD" "$CTR"
    continue
  fi
  assert_eq 124 "$RC" "crictl start through bare rc93 (must hang; stdout '$OUT', stderr '$ERR')"
  INIT=$(jq -r .init_process_pid "$CRI_RUNC_ROOT/k8s.io/$CTR/state.json") || fail "no runc state for $CTR"
  assert_eq "runc:[2:INIT]:anon_pipe_write" "$(cat "/proc/$INIT/comm"):$(cat "/proc/$INIT/wchan")" "bare rc93's runc init (pid $INIT) comm:wchan"
  log "bare rc93: crictl start still blocked after 5 s, runc init $INIT in anon_pipe_write"
  BARE_HUNG=1
  remove_pod "$POD" "$CTR"
  break
done
[ -n "$BARE_HUNG" ] || fail "bare rc93: $SOFT_FILE was changed by another process in each of 3 attempts"

# Through runc-guard over the same rc93: start returns, the filter is loaded, the init was un-stuck.
write_rg_config "$(rg_config "$RC93")"
UNSTUCK=
for attempt in 1 2 3; do
  : >"$RG_EVENTS"
  start_nnp runc-guard "rc93-guard-$attempt"
  T0=$(ms)
  capture timeout 10 "$CRICTL" --config "$E2E/crictl.yaml" --timeout 120s start "$CTR"
  ELAPSED=$(($(ms) - T0))
  assert_eq "0:$CTR" "$RC:$OUT" "crictl start through runc-guard over rc93 (stderr: $ERR)"
  [ "$ELAPSED" -le 1000 ] || fail "crictl start through runc-guard took $ELAPSED ms (> 1 s)"
  PID=$(cri_pid "$CTR")
  assert_eq "sleep:2" "$(cat "/proc/$PID/comm"):$(awk '/^Seccomp:/ {print $2}' "/proc/$PID/status")" "container pid $PID comm:Seccomp"
  if [ -z "$(events_for "$CTR" init.blocked)" ] && soft_changed "start through runc-guard (attempt $attempt)"; then
    remove_pod "$POD" "$CTR"
    continue
  fi
  [ -n "$(events_for "$CTR" init.blocked)" ] || fail "no init.blocked event for $CTR: $(cat "$RG_EVENTS")"
  events_for "$CTR" init.unstuck | jq -e '.command == "start" and .details.pipe_size_after >= 9024' >/dev/null ||
    fail "no init.unstuck event for $CTR with the pipe enlarged past the program: $(cat "$RG_EVENTS")"
  [ -z "$(events_for "$CTR" init.killed)" ] || fail "runc-guard killed the init instead of un-sticking it"
  log "runc-guard over rc93: crictl start returned in $ELAPSED ms, Seccomp: 2, events: $(event_summary)"
  UNSTUCK=1
  remove_pod "$POD" "$CTR"
  break
done
[ -n "$UNSTUCK" ] || fail "runc-guard over rc93: $SOFT_FILE was changed by another process in each of 3 attempts"
restore_soft
assert_no_guard_processes
mv "$RG_EVENTS" "$E2E/events.rc93.jsonl"   # the watchdog acted here, as it must; later checks start clean

# --- 4. runc-guardctl install containerd on a real config.toml ----------------------------------------
log "4. runc-guardctl install containerd on containerd 1.6's default config.toml"
stop_containerd
INSTALLED="$E2E/installed/config.toml"
mkdir -p "$E2E/installed"
cp "$RG_SOURCE/tests/data/install/containerd-1.6-default.toml" "$INSTALLED"
# toml_set FILE TABLE KEY VALUE: sets KEY in [TABLE] ("" = top level) in place, layout kept.
toml_set() {
  python3 - "$@" <<'PY' || fail "toml_set $*"
import re, sys
path, table, key, value = sys.argv[1:]
lines = open(path).read().split("\n")
start = 0
if table:
    start = next(i for i, l in enumerate(lines) if l.strip() == "[" + table + "]") + 1
end = next((i for i in range(start, len(lines)) if lines[i].lstrip().startswith("[")), len(lines))
for i in range(start, end):
    m = re.match(r"(\s*)" + re.escape(key) + r"\s*=", lines[i])
    if m:
        lines[i] = m.group(1) + key + " = " + value
        break
else:
    raise SystemExit("no key %s in [%s]" % (key, table))
open(path, "w").write("\n".join(lines))
PY
}
C='plugins."io.containerd.grpc.v1.cri"'
toml_set "$INSTALLED" "" root "\"$CTRD_ROOT\""
toml_set "$INSTALLED" "" state "\"$CTRD_STATE\""
toml_set "$INSTALLED" grpc address "\"$CTRD_SOCK\""
toml_set "$INSTALLED" ttrpc address "\"$CTRD_SOCK.ttrpc\""
toml_set "$INSTALLED" 'plugins."io.containerd.internal.v1.opt"' path "\"$E2E/opt\""
toml_set "$INSTALLED" "$C" sandbox_image "\"$CRI_PAUSE_IMAGE\""
toml_set "$INSTALLED" "$C" restrict_oom_score_adj true
toml_set "$INSTALLED" "$C.cni" bin_dir "\"$E2E/cni/bin\""
toml_set "$INSTALLED" "$C.cni" conf_dir "\"$E2E/cni/net.d\""
toml_set "$INSTALLED" "$C.registry" config_path "\"$E2E/certs.d\""
toml_set "$INSTALLED" "$C.containerd.runtimes.runc.options" Root "\"$CRI_RUNC_ROOT\""
cp "$INSTALLED" "$INSTALLED.before"
capture "$GUARDCTL" install containerd --config "$INSTALLED" --state-dir "$E2E/install-state" --binary "$GUARD"
assert_eq 0 "$RC" "runc-guardctl install containerd (stdout: $OUT, stderr: $ERR)"
diff "$INSTALLED.before" "$INSTALLED" | grep '^[<>]' | grep -v '^>' >&2 && fail "install changed lines of the operator's config (above)"
DUMP=$(containerd --config "$INSTALLED" config dump | python3 -c 'import json, sys, tomllib; print(json.dumps(tomllib.load(sys.stdin.buffer)))') ||
  fail "containerd cannot read the installed config"
jq -e --arg g "$GUARD" --arg root "$CRI_RUNC_ROOT" --arg sock "$CTRD_SOCK" '.grpc.address == $sock and
    (.plugins["io.containerd.grpc.v1.cri"].containerd.runtimes["runc-guard"] |
     .runtime_type == "io.containerd.runc.v2" and .options.BinaryName == $g and .options.Root == $root)' <<<"$DUMP" >/dev/null ||
  fail "installed config: $(jq -c '.plugins["io.containerd.grpc.v1.cri"].containerd.runtimes' <<<"$DUMP")"
write_rg_config "$(rg_config "$RECORDER")"
: >"$RECORDED"
start_cri_containerd_on "$INSTALLED"
POD=$(cri runp --runtime runc-guard "$(cri_pod_config installed)") || fail "runp --runtime runc-guard (installed handler) failed"
CTR=$(cri create "$POD" "$(cri_container_config app container.json)" "$E2E/pod-installed.json") || fail "create in the installed handler's pod failed"
cri start "$CTR" >/dev/null || fail "start through the installed handler failed"
assert_eq "installed" "$(cri exec "$CTR" echo installed)" "crictl exec through the installed handler"
assert_eq "runc-guard" "$(cri inspectp "$POD" | jq -r .status.runtimeHandler)" "pod runtime handler"
assert_recorded "$POD" create start
assert_recorded "$CTR" create start exec
cri rmp -f "$POD" >/dev/null || fail "rmp -f of the installed handler's pod failed"
assert_recorded "$CTR" create start exec kill delete
log "installed handler ran pod $POD and container $CTR through runc-guard"

assert_events_valid
assert_no_guard_processes
log "PASS"
