# Hooks may call runc-guard (runc passes its environment, loop marker included, to OCI hooks): a real
# prestart and createRuntime hook run `runc-guard state` and get the container's state, not a loop
# refusal. A config.json nested 100k deep is refused cleanly (runc's own error, or runc-guard's when a
# security guard must read it) — never a signal. runc-guardctl exits 1 with an escaped message for a path
# that is not UTF-8.
source "$(dirname "$0")/../lib.sh"

make_workdir WORK
ROOT="$WORK/state"
ID=rg-hooks
export RUNC_GUARD_CONFIG="$WORK/guard.json"
write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$REAL_RUNC\"}, \"log\": {\"events\": \"$WORK/events.jsonl\"}}"
on_exit "cleanup_container '$ROOT' $ID"

# ---- hooks calling runc-guard ----
# The hook asks runc-guard about a container that exists already (the one being created has no state.json
# until runc is done with its hooks).
make_bundle "$WORK/other" sleep 300
"$GUARD" --root "$ROOT" run -d --bundle "$WORK/other" $ID-other </dev/null >/dev/null 2>&1 || fail "run -d failed"
on_exit "cleanup_container '$ROOT' $ID-other"
cat >"$WORK/hook.sh" <<HOOK
#!/bin/sh
cat >/dev/null  # the state runc passes on stdin
exec "$GUARD" --root "$ROOT" state $ID-other >"$WORK/hook-\$1.out" 2>"$WORK/hook-\$1.err"
HOOK
chmod 0755 "$WORK/hook.sh"
make_bundle "$WORK/bundle" sleep 300
jq --arg h "$WORK/hook.sh" '.hooks = {prestart: [{path: $h, args: ["hook.sh", "prestart"]}],
                                     createRuntime: [{path: $h, args: ["hook.sh", "createRuntime"]}]}' \
  "$WORK/bundle/config.json" >"$WORK/c.json" && mv "$WORK/c.json" "$WORK/bundle/config.json"
"$GUARD" --root "$ROOT" create --bundle "$WORK/bundle" $ID >"$WORK/create.out" 2>&1 </dev/null ||
  fail "create with hooks calling runc-guard failed: $(cat "$WORK/create.out" "$WORK"/hook-*.err 2>/dev/null)"
for hook in prestart createRuntime; do
  [ -s "$WORK/hook-$hook.out" ] || fail "$hook hook got no state: $(cat "$WORK/hook-$hook.err" 2>/dev/null)"
  expect_eq "$(jq -r .id "$WORK/hook-$hook.out")" "$ID-other" "$hook hook's runc-guard state"
  [ ! -s "$WORK/hook-$hook.err" ] || fail "$hook hook: $(cat "$WORK/hook-$hook.err")"
done
"$GUARD" --root "$ROOT" start $ID || fail "start failed"
expect_eq "$("$REAL_RUNC" --root "$ROOT" state $ID | jq -r .status)" running "container status"
cleanup_container "$ROOT" $ID
echo "ok: prestart and createRuntime hooks called runc-guard state through runc (no loop refusal)"

# ---- a config nested 100k deep ----
make_bundle "$WORK/deep" true
python3 - "$WORK/deep/config.json" <<'PY'
import json, sys
path = sys.argv[1]
spec = json.load(open(path))
text = json.dumps(spec)
deep = "[" * 100000 + "]" * 100000
open(path, "w").write(text[:-1] + ', "x-deep": ' + deep + "}")
PY
set +e
"$REAL_RUNC" --root "$ROOT" create --bundle "$WORK/deep" deep-bare >"$WORK/deep-bare.out" 2>&1 </dev/null
bare=$?
"$GUARD" --root "$ROOT" create --bundle "$WORK/deep" deep >"$WORK/deep.out" 2>&1 </dev/null
guarded=$?
set -e
[ "$bare" -ne 0 ] || fail "runc accepted a config nested 100k deep"
expect_eq "$guarded" "$bare" "exit status through runc-guard (optional guards fail open, runc refuses)"
grep -q "exceeded max depth" "$WORK/deep.out" || fail "not runc's own error: $(cat "$WORK/deep.out")"
# With a security guard that must read it (the kernel-memory guard on a 3.10 kernel): runc-guard refuses.
write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$REAL_RUNC\"}, \"kernel_memory\": {\"kernel_release\": \"3.10.0-1160.el7.x86_64\"}}"
set +e
"$GUARD" --root "$ROOT" create --bundle "$WORK/deep" deep2 >"$WORK/deep2.out" 2>&1 </dev/null
rc=$?
set -e
expect_eq "$rc" 1 "exit status of the refusal"
grep -q "runc-guard: refusing to run it: .*exceeded max depth.*kmem_spec" "$WORK/deep2.out" ||
  fail "no clear refusal: $(cat "$WORK/deep2.out")"
"$REAL_RUNC" --root "$ROOT" state deep2 >/dev/null 2>&1 && fail "the refused container exists"
echo "ok: a config nested 100k deep: runc's error ($bare) through runc-guard; a clear refusal when a security guard must read it"

# ---- a config nested as deep as Go reads, under a small stack limit ----
# 9990 levels in a member runc ignores: bare runc creates it; runc-guard, whose readers recurse per level,
# must too (it raises its own soft stack limit) and hand runc the caller's limit (`ulimit -s 2048`).
make_bundle "$WORK/deep9990" sleep 300
python3 - "$WORK/deep9990/config.json" <<'PY'
import json, sys
path = sys.argv[1]
text = json.dumps(json.load(open(path)))
open(path, "w").write(text[:-1] + ', "x-deep": ' + "[" * 9990 + "]" * 9990 + "}")
PY
# The kernel-memory guard on a 3.10 kernel reads config.json whatever runc release runs here.
write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$REAL_RUNC\"}, \"log\": {\"events\": \"$WORK/deep-events.jsonl\"},
  \"kernel_memory\": {\"kernel_release\": \"3.10.0-1160.el7.x86_64\"}}"
on_exit "cleanup_container '$ROOT' $ID-deep"
set +e
(ulimit -S -s 2048 && exec "$GUARD" --root "$ROOT" create --bundle "$WORK/deep9990" $ID-deep) >"$WORK/deep9990.out" 2>&1 </dev/null
rc=$?
set -e
expect_eq "$rc" 0 "create of a config nested 9990 deep under ulimit -s 2048 (output: $(head -c 300 "$WORK/deep9990.out"))"
! grep -q 'guard.failed' "$WORK/deep-events.jsonl" 2>/dev/null || fail "a guard failed on it: $(cat "$WORK/deep-events.jsonl")"
cleanup_container "$ROOT" $ID-deep
# A hard limit of 2 MiB (`ulimit -s 2048` sets both): runc-guard cannot raise its own soft limit and reads on
# a thread with a stack of its own (SIGSEGV, exit 139, before it).
on_exit "cleanup_container '$ROOT' $ID-deephard"
set +e
(ulimit -s 2048 && exec "$GUARD" --root "$ROOT" create --bundle "$WORK/deep9990" $ID-deephard) >"$WORK/deephard.out" 2>&1 </dev/null
rc=$?
set -e
expect_eq "$rc" 0 "create of a config nested 9990 deep under a hard stack limit of 2 MiB (output: $(head -c 300 "$WORK/deephard.out"))"
! grep -q 'guard.failed' "$WORK/deep-events.jsonl" 2>/dev/null || fail "a guard failed on it: $(cat "$WORK/deep-events.jsonl")"
"$GUARD" --root "$ROOT" start $ID-deephard || fail "start of the container created under a hard stack limit of 2 MiB"
cleanup_container "$ROOT" $ID-deephard
cp "$RG_BUILD/tests/runc_dump" "$WORK/runc-dump" && chmod 0755 "$WORK/runc-dump"
write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$WORK/runc-dump\"}}"
(ulimit -S -s 2048 && RG_DUMP_FILE="$WORK/deep-dump.json" exec "$GUARD" --root "$ROOT" create --bundle "$WORK/deep9990" $ID-deep2) </dev/null ||
  fail "create through runc-guard to runc_dump under ulimit -s 2048"
caller=$(ulimit -S -s 2048 && grep '^Max stack size' /proc/self/limits)
expect_eq "$(jq -r .stack_limit "$WORK/deep-dump.json")" "$caller" "the stack limit runc got"
# From the thread with a stack of its own, runc is exec'd in place all the same: the pid the caller waits on is
# runc's, and runc gets the caller's limits.
(ulimit -s 2048 && RG_DUMP_FILE="$WORK/deephard-dump.json" exec "$GUARD" --root "$ROOT" create --bundle "$WORK/deep9990" $ID-deep3) </dev/null &
guard_pid=$!
wait "$guard_pid" || fail "create through runc-guard to runc_dump under a hard stack limit of 2 MiB"
expect_eq "$(jq -r .pid "$WORK/deephard-dump.json")" "$guard_pid" "the pid runc ran as, under a hard stack limit of 2 MiB"
caller=$(ulimit -s 2048 && grep '^Max stack size' /proc/self/limits)
expect_eq "$(jq -r .stack_limit "$WORK/deephard-dump.json")" "$caller" "the stack limit runc got under a hard limit of 2 MiB"
echo "ok: a config nested 9990 deep under ulimit -s 2048, soft or hard: created, runc got the caller's stack limit and pid"

# ---- a seccomp filter runc-guard cannot read as runc's Go does (its syscalls list given twice) ----
# No guard of a call over runc 1.1.5 reads the filter, so it is runc's to judge: run -d and exec (the
# CVE-2024-21626 patch reads the container's config.json) go through as with bare runc. With a guard that
# reads the filter switched on, runc-guard refuses the create (a security guard reads the same document).
write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$REAL_RUNC\"}, \"log\": {\"events\": \"$WORK/events.jsonl\"}}"
make_bundle "$WORK/dupsec" sleep 300
jq -c '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["acct"], action: "SCMP_ACT_ERRNO"}]}' \
  "$WORK/dupsec/config.json" | sed 's/"syscalls":\[/"syscalls":[{"names":["acct"],"action":"SCMP_ACT_ALLOW"}],"syscalls":[/' \
  >"$WORK/c.json" && mv "$WORK/c.json" "$WORK/dupsec/config.json"
[ "$(grep -o '"syscalls"' "$WORK/dupsec/config.json" | wc -l)" = 2 ] || fail "the test's config: $(cat "$WORK/dupsec/config.json")"
on_exit "cleanup_container '$ROOT' $ID-dup"
"$GUARD" --root "$ROOT" run -d --bundle "$WORK/dupsec" $ID-dup </dev/null >"$WORK/dup.out" 2>&1 ||
  fail "run -d with the syscalls list given twice, over runc 1.1.5: $(cat "$WORK/dup.out")"
"$GUARD" --root "$ROOT" exec $ID-dup true >"$WORK/dup-exec.out" 2>&1 || fail "exec into it: $(cat "$WORK/dup-exec.out")"
write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$REAL_RUNC\"}, \"guards\": {\"seccomp_hazard\": \"enforce\"}}"
set +e
"$GUARD" --root "$ROOT" create --bundle "$WORK/dupsec" $ID-dup2 >"$WORK/dup2.out" 2>&1 </dev/null
rc=$?
set -e
expect_eq "$rc" 1 "exit status with the seccomp guard on"
grep -q "runc-guard: refusing to run it: .*linux.seccomp.syscalls: given more than once" "$WORK/dup2.out" ||
  fail "no clear refusal with the seccomp guard on: $(cat "$WORK/dup2.out")"
echo "ok: a syscalls list given twice: runc's to judge over 1.1.5 (run -d, exec); refused once a guard reads the filter"

# ---- runc-guardctl and bytes that are not UTF-8 ----
bad=$'/tmp/rg-\xff\xfe-\e[31mred'
set +e
"$GUARDCTL" config check "$bad" >"$WORK/ctl.out" 2>"$WORK/ctl.err"
rc=$?
set -e
expect_eq "$rc" 1 "runc-guardctl config check on a non-UTF-8 path"
grep -q 'runc-guardctl: .*\\xff\\xfe-\\x1b\[31mred' "$WORK/ctl.err" || fail "message not escaped: $(od -c "$WORK/ctl.err" | head)"
grep -q $'\e' "$WORK/ctl.err" && fail "a raw escape sequence reached the terminal"
set +e
"$GUARDCTL" install docker --config "$bad/daemon.json" --dry-run >"$WORK/inst.out" 2>"$WORK/inst.err"
rc=$?
"$GUARDCTL" --no-such-flag >/dev/null 2>&1
usage=$?
set -e
expect_eq "$rc" 1 "runc-guardctl install with a non-UTF-8 path"
expect_eq "$usage" 2 "runc-guardctl with a wrong flag"
echo "hooks_and_hostile_specs: hooks call runc-guard, deep configs refused cleanly, CLI output escaped"
