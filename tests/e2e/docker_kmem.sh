# End-to-end: the kernel-memory guard (issue 5) under a real dockerd + containerd and the real runc 1.0.0-rc93,
# a release that applies kmem limits (rc94 and later ignore them themselves; runc-guard leaves those alone).
#
# This VM runs a 6.x kernel, so runc-guard is told it runs 3.10.0-1160.el7 (kernel_memory.kernel_release)
# and we assert on what runc was asked to do — the bundle's config.json while the container runs, the
# JSON `runc update -r -` gets on stdin — not on memory.kmem.limit_in_bytes (accepted and ignored here).
#  1. Controls: through plain runc, and through runc-guard without the override (6.x >= 4.0), the bundle
#     keeps linux.resources.memory.kernel — so docker really passes --kernel-memory on this host.
#  2. policy strip (kernel 3.10): `docker run --kernel-memory 64M --memory 128M` runs; the bundle has no
#     kernel/kernelTCP, every other field is kept; the memory limit is applied; runc's log.json holds a
#     valid "runc-guard:" warning line; event kmem.stripped for that container. `docker update
#     --kernel-memory` reaches runc without the kernel limit (event kmem.stripped, command update).
#     A container without --kernel-memory logs no kmem event.
#  3. policy reject: `docker run --kernel-memory 64M` fails, docker's stderr carries runc-guard's error,
#     event kmem.rejected; a container without --kernel-memory still runs.
REAL_RUNC=${RG_RUNTIMES:-${RG_BUILD:?}/runtimes}/runc-v1.0.0-rc93
[ -x "$REAL_RUNC" ] || { echo "FAIL: real runc v1.0.0-rc93 not found at $REAL_RUNC (../shared/runtimes unpacked by the build)" >&2; exit 1; }
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

EL7=3.10.0-1160.el7.x86_64
kmem_config() {  # kmem_config POLICY [RUNTIME_PATH]
  base_rg_config | jq --arg p "$1" --arg rel "$EL7" --arg r "${2:-$REAL_RUNC}" \
    '.runtime.path = $r | .kernel_memory = {policy: $p, kernel_release: $rel}'
}

write_rg_config "$(base_rg_config)"
make_recorder
start_dockerd
import_busybox_image
IMG=$E2E_IMAGE
KMEM=$((64 * 1024 * 1024))
MEM=$((128 * 1024 * 1024))

# bundle_memory NAME: linux.resources.memory of the running container's bundle config.json.
bundle_memory() {
  local cfg
  cfg="$(bundle_dir "$(container_full_id "$1")")/config.json"
  [ -f "$cfg" ] || fail "no bundle config.json for $1 at $cfg"
  jq -c '.linux.resources.memory' "$cfg"
}
# config_paths NAME: every JSON path of the bundle's config.json (structure without values), one per line.
config_paths() {
  jq -r 'paths | map(tostring) | join(".")' "$(bundle_dir "$(container_full_id "$1")")/config.json" | sort
}

# --- 1. controls --------------------------------------------------------------------------------------
log "controls: plain runc and runc-guard on the real (6.x) kernel keep the kernel memory limit"
docker run -d --name ctl-runc --runtime runc --kernel-memory 64M --memory 128M "$IMG" sleep 300 >/dev/null 2>"$E2E/warn"
[ "$(bundle_memory ctl-runc | jq '.kernel')" = "$KMEM" ] ||
  fail "docker did not pass --kernel-memory to the runtime on this host (bundle memory: $(bundle_memory ctl-runc)); the guard cannot be tested here"
docker run -d --name ctl-guard --runtime runc-guard --kernel-memory 64M --memory 128M "$IMG" sleep 300 >/dev/null 2>"$E2E/warn"
assert_eq "$KMEM" "$(bundle_memory ctl-guard | jq '.kernel')" "kernel limit through runc-guard on kernel $(uname -r) (>= 4.0)"
CTL_ID=$(container_full_id ctl-guard)
assert_eq "" "$(events_for "$CTL_ID" kmem.stripped)$(events_for "$CTL_ID" kmem.rejected)" "kmem events on kernel $(uname -r)"
CONTROL_PATHS=$(config_paths ctl-runc)
docker rm -f ctl-runc ctl-guard >/dev/null

# --- 2. strip -------------------------------------------------------------------------------------------
log "policy strip, kernel $EL7"
write_rg_config "$(kmem_config strip)"
capture docker run -d --name strip --runtime runc-guard --kernel-memory 64M --memory 128M "$IMG" sleep 300
assert_eq 0 "$RC" "docker run --kernel-memory with policy strip (stderr: $ERR)"
ID=$OUT
assert_eq "true" "$(docker inspect -f '{{.State.Running}}' strip)" "stripped container running"
MEMORY=$(bundle_memory strip)
assert_eq "false" "$(echo "$MEMORY" | jq 'has("kernel") or has("kernelTCP")')" "kernel/kernelTCP in the bundle's linux.resources.memory ($MEMORY)"
assert_eq "$MEM" "$(echo "$MEMORY" | jq '.limit')" "memory.limit kept in the bundle"
# Everything else is kept: the same JSON paths as the plain-runc control, minus the kernel limit.
assert_eq "$(echo "$CONTROL_PATHS" | grep -vx 'linux.resources.memory.kernel')" "$(config_paths strip)" \
  "config.json structure after stripping (control minus linux.resources.memory.kernel)"
assert_eq "$MEM" "$(cat "$(cgroup_file "$(container_pid strip)" memory memory.limit_in_bytes)")" "memory.limit_in_bytes of the stripped container"
assert_eq "kmem-exec" "$(docker exec strip echo kmem-exec)" "docker exec into the stripped container"

# runc's log.json: still valid for containerd (JSON objects, RFC3339 time), with our warning in it.
RUNC_LOG="$(bundle_dir "$ID")/log.json"
[ -f "$RUNC_LOG" ] || fail "no runc log.json in the bundle ($RUNC_LOG)"
jq -e -s 'all(.[]; type == "object" and (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$")) and (.level | type) == "string" and (.msg | type) == "string")' \
  "$RUNC_LOG" >/dev/null || fail "runc's log.json has lines containerd cannot parse: $(cat "$RUNC_LOG")"
jq -e -s 'any(.[]; .level == "warning" and (.msg | startswith("runc-guard:")))' "$RUNC_LOG" >/dev/null ||
  fail "no runc-guard warning in runc's log.json: $(cat "$RUNC_LOG")"

STRIPPED=$(events_for "$ID" kmem.stripped)
[ -n "$STRIPPED" ] || fail "no kmem.stripped event for $ID in $RG_EVENTS: $(cat "$RG_EVENTS" 2>/dev/null)"
assert_eq "create" "$(echo "$STRIPPED" | jq -r .command | sort -u)" "command of the kmem.stripped event"
log "event: $STRIPPED"

log "policy strip: docker update --kernel-memory (runc update -r - through the recorder)"
write_rg_config "$(kmem_config strip "$RECORDER")"
capture docker update --kernel-memory 32M --memory 96M --memory-swap 192M strip
assert_eq 0 "$RC" "docker update --kernel-memory with policy strip (stderr: $ERR)"
grep -F -- "$ID" "$RECORDED" | grep -Eq '^marker=[0-9]+\.1 .* update --resources - ' ||
  fail "docker update did not reach runc as 'update --resources -' through runc-guard: $(cat "$RECORDED")"
UPDATE_FILES=("$E2E"/update-stdin.*)
[ -f "${UPDATE_FILES[0]}" ] || fail "the recorder captured no update stdin"
UPDATE_JSON=$(cat "${UPDATE_FILES[@]}")
assert_eq "false" "$(echo "$UPDATE_JSON" | jq -s 'any(.[]; .memory | has("kernel") or has("kernelTCP"))')" \
  "kernel limit in the JSON runc update got on stdin ($UPDATE_JSON)"
assert_eq "$((96 * 1024 * 1024))" "$(echo "$UPDATE_JSON" | jq -s 'map(.memory.limit) | last')" "memory.limit kept in the update JSON"
assert_eq "$((96 * 1024 * 1024))" "$(cat "$(cgroup_file "$(container_pid strip)" memory memory.limit_in_bytes)")" "memory.limit_in_bytes after update"
[ -n "$(events_for "$ID" kmem.stripped | jq -c 'select(.command == "update")')" ] || fail "no kmem.stripped event for the update of $ID"
write_rg_config "$(kmem_config strip)"
docker rm -f strip >/dev/null

NOKMEM_ID=$(docker run -d --runtime runc-guard --memory 128M "$IMG" sleep 300)
assert_eq "" "$(events_for "$NOKMEM_ID" kmem.stripped)$(events_for "$NOKMEM_ID" kmem.rejected)" "kmem events for a container without --kernel-memory"
docker rm -f "$NOKMEM_ID" >/dev/null

# --- 3. reject ------------------------------------------------------------------------------------------
log "policy reject, kernel $EL7"
write_rg_config "$(kmem_config reject)"
capture docker run --name reject --runtime runc-guard --kernel-memory 64M "$IMG" echo should-not-run
[ "$RC" != 0 ] || fail "docker run --kernel-memory succeeded under policy reject (stdout: $OUT)"
[[ "$OUT" != *should-not-run* ]] || fail "the rejected container ran"
assert_contains "$ERR" "OCI runtime create failed" "docker's error for a rejected create"
assert_contains "$ERR" "runc-guard:" "docker's error for a rejected create"
log "docker's error: $(echo "$ERR" | grep -m1 "runc-guard:")"
REJECT_ID=$(container_full_id reject)
[ -n "$(events_for "$REJECT_ID" kmem.rejected)" ] || fail "no kmem.rejected event for $REJECT_ID: $(cat "$RG_EVENTS" 2>/dev/null)"
docker rm -f reject >/dev/null
assert_eq "still-runs" "$(docker run --rm --runtime runc-guard --memory 128M "$IMG" echo still-runs)" \
  "docker run without --kernel-memory under policy reject"

# The reject above is the only refusal we caused; anything else in the event log is a failure.
jq -c 'select(.event == "guard.refused" and .id != $id)' --arg id "$REJECT_ID" "$RG_EVENTS" | grep . >&2 &&
  fail "unexpected refusals in the event log (above)"
grep -v "\"id\":\"$REJECT_ID\"" "$RG_EVENTS" >"$E2E/events.others" || true
RG_EVENTS="$E2E/events.others" assert_events_valid
remove_all_containers
assert_no_guard_processes
log "PASS"
