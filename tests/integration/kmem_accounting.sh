# Implicit kmem accounting: on a 3.10 kernel (override) runc-guard pre-creates the container's memory
# cgroup directory for runc v1.0.0-rc5…rc93 — the fake runc reports that it already existed when it ran —
# and leaves it to runc for unaffected versions. Real cgroup v1 memory hierarchy at /sys/fs/cgroup/memory.
source "$(dirname "$0")/../lib.sh"
make_workdir T
EVENTS="$T/events.jsonl"

MEM=/sys/fs/cgroup/memory
[[ -f $MEM/cgroup.procs ]] || fail "needs the cgroup v1 memory controller at $MEM"
PARENT="rg-kmem-it-$$"
remove_test_cgroups() {
  local d
  for d in $(find "$MEM/$PARENT" -depth -type d 2>/dev/null); do rmdir "$d" 2>/dev/null || true; done
  for d in $(find "$MEM" -maxdepth 6 -type d -name "rgk-rel-$$*" 2>/dev/null); do rmdir "$d" 2>/dev/null || true; done
}
on_exit remove_test_cgroups

G=(--root "$T/state" --log "$T/log.json" --log-format json)
mkbundle() {  # mkbundle NAME CGROUPS_PATH MEMORY_JSON
  mkdir -p "$T/$1"
  jq -c --arg p "$2" --argjson m "$3" '.linux.cgroupsPath = $p | .linux.resources.memory = $m' \
    "$SHARED_TESTDATA/default.config.json" >"$T/$1/config.json"
  echo "$T/$1"
}
LIMIT='{"limit":268435456,"disableOOMKiller":false}'

n=0
for version in 1.0.0-rc5 1.0.0-rc10 1.0.0-rc93 1.0.0-rc5+dev; do
  note "runc $version: pre-created"
  reset_records
  n=$((n + 1))
  RUNC=$(fake_probe_runc "$version")
  kmem_config "$RUNC"
  B=$(mkbundle "b$n" "/$PARENT/c$n" "$LIMIT")
  kmem_guard "${G[@]}" create --bundle "$B" "c$n" </dev/null
  expect_eq "$(last_record | jq -r .memory_cgroup_dir)" "$MEM/$PARENT/c$n" "directory runc uses"
  expect_eq "$(last_record | jq -r .memory_cgroup_existed)" true "existed before runc $version ran"
  [[ -f "$MEM/$PARENT/c$n/memory.limit_in_bytes" ]] || fail "not a real memory cgroup"
  expect_eq "$(events_named kmem.accounting_prevented | jq -r .details.runc_version)" "$version" "event"
done

for version in 1.0.0 1.1.5 1.0.0-rc94 1.0.0-rc4; do
  note "runc $version: not touched"
  reset_records
  n=$((n + 1))
  RUNC=$(fake_probe_runc "$version")
  kmem_config "$RUNC"
  B=$(mkbundle "b$n" "/$PARENT/c$n" "$LIMIT")
  kmem_guard "${G[@]}" create --bundle "$B" "c$n" </dev/null
  expect_eq "$(last_record | jq -r .memory_cgroup_existed)" false "existed before runc $version ran"
  [[ -z "$(events_named kmem.accounting_prevented)" ]] || fail "event for runc $version"
done

RUNC=$(fake_probe_runc 1.0.0-rc93)
note "cleanup: a failed create leaves no pre-created directory behind, a successful one keeps it"
wait_gone() {  # the watchdog removes them once runc has exited
  local i
  for i in $(seq 50); do [[ -d "$1" ]] || return 0; sleep 0.1; done
  return 1
}
kmem_config "$RUNC"
for outcome in fail ok; do
  reset_records
  n=$((n + 1))
  B=$(mkbundle "b$n" "/$PARENT/f$n/c$n" "$LIMIT")
  set +e
  FAKE_RUNC_EXIT=$([[ $outcome == fail ]] && echo 1 || echo 0) kmem_guard "${G[@]}" create --bundle "$B" "c$n" </dev/null
  rc=$?
  set -e
  expect_eq "$(last_record | jq -r .memory_cgroup_existed)" true "pre-created ($outcome)"
  if [[ $outcome == fail ]]; then
    expect_eq "$rc" 1 "runc's exit code passed through"
    wait_gone "$MEM/$PARENT/f$n" || fail "pre-created cgroup $MEM/$PARENT/f$n/c$n not removed after the failed create"
  else
    expect_eq "$rc" 0 "exit code"
    sleep 1
    [[ -d "$MEM/$PARENT/f$n/c$n" ]] || fail "cgroup of a created container was removed"
  fi
done

note "no memory setting (docker's default config): runc would not enable accounting, nothing created"
reset_records
kmem_config "$RUNC"
n=$((n + 1))
B=$(mkbundle "b$n" "/$PARENT/c$n" '{"disableOOMKiller":false}')
kmem_guard "${G[@]}" create --bundle "$B" "c$n" </dev/null
expect_eq "$(last_record | jq -r .memory_cgroup_existed)" false "no memory setting"

note "kernel 4.19: nothing created"
reset_records
kmem_config "$RUNC" '.kernel_memory.kernel_release = "4.19.0-0.bpo.8-amd64"'
n=$((n + 1))
B=$(mkbundle "b$n" "/$PARENT/c$n" "$LIMIT")
kmem_guard "${G[@]}" create --bundle "$B" "c$n" </dev/null
expect_eq "$(last_record | jq -r .memory_cgroup_existed)" false "new kernel"

note "relative and empty cgroupsPath: under runc's own memory cgroup"
kmem_config "$RUNC"
for case in "rgk-rel-$$-a/x" ""; do
  reset_records
  n=$((n + 1))
  id="rgk-rel-$$-id$n"
  B=$(mkbundle "b$n" "$case" "$LIMIT")
  kmem_guard "${G[@]}" create --bundle "$B" "$id" </dev/null
  own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' /proc/self/cgroup)
  [[ "$own" == / ]] && own=""
  want="$MEM$own/${case:-$id}"
  expect_eq "$(last_record | jq -r .memory_cgroup_dir)" "$want" "directory for cgroupsPath '$case'"
  expect_eq "$(last_record | jq -r .memory_cgroup_existed)" true "pre-created for cgroupsPath '$case'"
  rmdir "$want" "$MEM$own/rgk-rel-$$-a" 2>/dev/null || true
done

note "systemd driver: not covered, said so in the event log"
reset_records
n=$((n + 1))
B=$(mkbundle "b$n" "system.slice:rgk:c$n" "$LIMIT")
RUNC_GUARD_CONFIG="$T/config.json" FAKE_RUNC_RECORD="$T/record.jsonl" "$GUARD" --systemd-cgroup "${G[@]}" \
  create --bundle "$B" "c$n" </dev/null
[[ -n "$(events_named kmem.accounting_not_covered)" ]] || fail "no kmem.accounting_not_covered event"

note "observe: nothing created, event says it would have been"
reset_records
kmem_config "$RUNC" '.mode = "observe"'
n=$((n + 1))
B=$(mkbundle "b$n" "/$PARENT/c$n" "$LIMIT")
kmem_guard "${G[@]}" create --bundle "$B" "c$n" </dev/null
expect_eq "$(last_record | jq -r .memory_cgroup_existed)" false "observe"
expect_eq "$(events_named kmem.accounting_prevented | jq -c .details.observe)" true "observe event"

echo "PASS kmem_accounting"
