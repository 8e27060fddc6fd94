# Real runc 1.1.5 through runc-guard with kernel_release 3.10.0-1160.el7.x86_64: a container from a bundle
# with linux.resources.memory.kernel is created and runs, its config.json has no kernel field, runc never
# sees a kernel-memory setting (it would warn "Kernel memory settings are ignored"), the event is logged;
# update --kernel-memory and update -r - reach runc without the kernel part and still apply the rest;
# policy reject fails before runc with our error in runc's log.json.
source "$(dirname "$0")/../lib.sh"
T=$(make_workdir)
EVENTS="$T/events.jsonl"

# runc 1.0.3 applies kmem limits (rc94 … 1.0.x); runc 1.1.x ignores them itself (checked at the end).
REAL_RUNC=$(runc_release v1.0.3)
DEBIAN_RUNC=/usr/bin/runc
"$DEBIAN_RUNC" --version | grep -q '^runc version 1\.1\.' || fail "expected Debian's runc 1.1.x at $DEBIAN_RUNC"
BUSYBOX=$(command -v busybox) || fail "busybox-static is required"
MEM=/sys/fs/cgroup/memory
CG="rg-kmem-runc-$$"
ID="rgkmem-$$"
STATE="$T/state"

cleanup_container() {
  "$REAL_RUNC" --root "$STATE" delete --force "$ID" >/dev/null 2>&1 || true
  "$REAL_RUNC" --root "$STATE" delete --force "$ID-rej" >/dev/null 2>&1 || true
  local d
  for d in $(find "$MEM/$CG" -depth -type d 2>/dev/null); do rmdir "$d" 2>/dev/null || true; done
}
on_exit cleanup_container

mkdir -p "$T/bundle/rootfs/bin"
cp "$BUSYBOX" "$T/bundle/rootfs/bin/busybox"
(cd "$T/bundle" && "$REAL_RUNC" spec)
jq -c --arg cg "/$CG/$ID" '.process.terminal = false | .process.args = ["/bin/busybox", "sleep", "300"]
  | .linux.cgroupsPath = $cg
  | .linux.resources.memory = {"limit": 268435456, "kernel": 67108864, "kernelTCP": 16777216}' \
  "$T/bundle/config.json" >"$T/config.in"
cp "$T/config.in" "$T/bundle/config.json"

kmem_config "$REAL_RUNC" '.watchdog.enabled = true'
rg() { RUNC_GUARD_CONFIG="$T/config.json" "$GUARD" --root "$STATE" --log "$T/$1" --log-format json "${@:2}"; }
no_kernel_warning_in() {
  ! grep -qiE 'kernel[ -]memory' <(jq -r 'select(.msg | startswith("runc-guard") | not) | .msg' "$T/$1") \
    || fail "runc saw a kernel-memory setting ($1): $(cat "$T/$1")"
}

note "create + start with kernel memory in config.json (policy strip)"
rg create.json create --bundle "$T/bundle" --pid-file "$T/init.pid" "$ID" </dev/null >"$T/create.out" 2>&1 \
  || fail "create through runc-guard failed: $(cat "$T/create.out" "$T/create.json" 2>/dev/null)"
rg start.json start "$ID" || fail "start failed: $(cat "$T/start.json")"
expect_eq "$("$REAL_RUNC" --root "$STATE" state "$ID" | jq -r .status)" running "container status"
expect_eq "$(jq -c .linux.resources.memory "$T/bundle/config.json")" '{"limit":268435456}' "bundle config.json memory"
expect_eq "$(jq -c 'del(.linux.resources.memory)' "$T/bundle/config.json")" "$(jq -c 'del(.linux.resources.memory)' "$T/config.in")" "rest of config.json"
expect_eq "$(cat "$MEM/$CG/$ID/memory.limit_in_bytes")" 268435456 "memory limit applied by runc"
expect_eq "$(events_named kmem.stripped | jq -c .details.settings)" '{"kernel":67108864,"kernelTCP":16777216}' "kmem.stripped event"
expect_eq "$(events_named kmem.stripped | jq -r .id)" "$ID" "event container id"
jq -r 'select(.level == "warning") | .msg' "$T/create.json" | grep -q '^runc-guard: kernel memory limit removed (linux.resources.memory.kernel=67108864, linux.resources.memory.kernelTCP=16777216)' \
  || fail "no warning line in runc's log: $(cat "$T/create.json")"
no_kernel_warning_in create.json
[[ -z "$(events_named kmem.accounting_prevented)" ]] || fail "pre-create for runc 1.1.5, which does not need it"

note "update --kernel-memory: stripped, the memory limit still applied"
rg update1.json update --kernel-memory 64M --memory 200M "$ID" </dev/null || fail "update failed: $(cat "$T/update1.json")"
expect_eq "$(cat "$MEM/$CG/$ID/memory.limit_in_bytes")" $((200 * 1024 * 1024)) "memory limit after update"
[[ ! -s "$T/update1.json" ]] || no_kernel_warning_in update1.json

note "update -r - (containerd's way): stripped, the rest applied"
printf '%s\n' '{"memory":{"limit":134217728,"kernel":1000000}}' | rg update2.json update --resources - "$ID" \
  || fail "update -r - failed: $(cat "$T/update2.json")"
expect_eq "$(cat "$MEM/$CG/$ID/memory.limit_in_bytes")" 134217728 "memory limit after update -r -"
[[ ! -s "$T/update2.json" ]] || no_kernel_warning_in update2.json
expect_eq "$(events_named kmem.stripped | wc -l)" 3 "kmem.stripped events (create, update, update -r -)"

note "policy reject: create fails before runc, error in log.json, config untouched"
kmem_config "$REAL_RUNC" '.kernel_memory.policy = "reject"'
cp "$T/config.in" "$T/bundle/config.json"
set +e
rg reject.json create --bundle "$T/bundle" "$ID-rej" </dev/null >"$T/reject.out" 2>&1
rc=$?
set -e
expect_eq "$rc" 1 "exit code"
cmp -s "$T/bundle/config.json" "$T/config.in" || fail "config.json changed on reject"
jq -r 'select(.level == "error") | .msg' "$T/reject.json" | grep -q '^runc-guard: kernel memory limit refused (linux.resources.memory.kernel=67108864, linux.resources.memory.kernelTCP=16777216): kernel 3.10.0-1160.el7.x86_64 is older than 4.0' \
  || fail "error missing from runc's log.json: $(cat "$T/reject.json")"
"$REAL_RUNC" --root "$STATE" state "$ID-rej" >/dev/null 2>&1 && fail "rejected container exists"
[[ ! -d "$MEM/$CG/$ID-rej" ]] || fail "rejected container has a cgroup"

note "runc 1.1.x (Debian's 1.1.5): it ignores kmem limits itself — runc-guard says so and rewrites nothing"
kmem_config "$DEBIAN_RUNC" '.watchdog.enabled = true'
cp "$T/config.in" "$T/bundle/config.json"
rm -f "$EVENTS"
RUNC_GUARD_CONFIG="$T/config.json" "$GUARD" --root "$STATE" --log "$T/ign.json" --log-format json \
  create --bundle "$T/bundle" "$ID-ign" </dev/null >"$T/ign.out" 2>&1 || fail "create on 1.1.5 failed: $(cat "$T/ign.out" "$T/ign.json")"
on_exit "'$DEBIAN_RUNC' --root '$STATE' delete --force '$ID-ign' >/dev/null 2>&1"
cmp -s "$T/bundle/config.json" "$T/config.in" || fail "config.json rewritten for runc 1.1.5"
expect_eq "$(events_named kmem.ignored_by_runc | jq -r .details.runc_version)" "1.1.5+ds1" "kmem.ignored_by_runc event"
[[ -z "$(events_named kmem.stripped)" ]] || fail "stripped for runc 1.1.5"
jq -r .msg "$T/ign.json" | grep -qi 'kernel memory settings are ignored' || fail "runc 1.1.5 did not see (and ignore) the limit itself: $(cat "$T/ign.json")"
"$DEBIAN_RUNC" --root "$STATE" delete --force "$ID-ign"

echo "PASS kmem_runc"
