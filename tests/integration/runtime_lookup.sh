# Finding the real runc safely, and failing closed with clear errors: config errors, insecure files,
# runc-guard pointing at itself, exec loops. Errors go to runc's --log (json/text) or stderr.
source "$(dirname "$0")/../lib.sh"

make_workdir WORK
export RUNC_GUARD_CONFIG="$WORK/guard.json"

# expect_refusal NAME PATTERN ARGS...: runc-guard exits 1 and says PATTERN on stderr.
expect_refusal() {
  local name=$1 pattern=$2
  shift 2
  local rc=0
  timeout 10 "$GUARD" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
  [ "$rc" = 1 ] || fail "$name: exit $rc, expected 1 (stderr: $(cat "$WORK/$name.err"))"
  [ ! -s "$WORK/$name.out" ] || fail "$name: wrote to stdout"
  # logrus text lines escape quotes; compare against the unescaped message.
  sed 's/\\"/"/g' "$WORK/$name.err" | grep -qF -- "$pattern" || fail "$name: stderr lacks '$pattern': $(cat "$WORK/$name.err")"
  echo "ok: $name: $(head -c 300 "$WORK/$name.err")"
}

# runtime.path is runc-guard itself.
write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$GUARD\"}}"
expect_refusal self "is runc-guard itself" state c1

# The real runc is group-writable or not owned by root: refused, naming the file (StrictModes).
cp "$REAL_RUNC" "$WORK/runc-copy"
chmod 0775 "$WORK/runc-copy"
write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$WORK/runc-copy\"}}"
expect_refusal runc-group-writable "$WORK/runc-copy is writable by group or others" state c1
chmod 0755 "$WORK/runc-copy"
chown 65534 "$WORK/runc-copy"
expect_refusal runc-not-root "$WORK/runc-copy is not owned by root" state c1
chown 0 "$WORK/runc-copy"

# The config itself must be secure.
write_config "$RUNC_GUARD_CONFIG" '{}'
chmod 0666 "$RUNC_GUARD_CONFIG"
expect_refusal config-world-writable "config $RUNC_GUARD_CONFIG is writable by group or others" state c1

# Malformed configs name file, line and key — on stderr without --log, and in runc's log with --log.
printf '{\n  "runtime": {\n    "path": "/usr/bin/runc",\n    "paht": "/x"\n  }\n}\n' >"$RUNC_GUARD_CONFIG"
chmod 0644 "$RUNC_GUARD_CONFIG"
expect_refusal unknown-key "$RUNC_GUARD_CONFIG:4: key \"runtime.paht\": unknown key" state c1
grep -q '^time="[^"]*" level=error msg="runc-guard: invalid config' "$WORK/unknown-key.err" ||
  fail "without --log the error is not a logrus text line: $(cat "$WORK/unknown-key.err")"
printf '{"mode": "enforce",\n "watchdog": {"enabled": "yes"}}\n' >"$RUNC_GUARD_CONFIG"
expect_refusal wrong-type "key \"watchdog.enabled\": must be true or false" --log "$WORK/log.json" --log-format json create c1
jq -e 'select(.level == "error") | .msg | startswith("runc-guard: invalid config")' "$WORK/log.json" >/dev/null ||
  fail "error not in runc's json log: $(cat "$WORK/log.json")"
jq -e '.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$")' "$WORK/log.json" >/dev/null || fail "time is not RFC3339"
printf '{"mode": "enforce",\n "runtime": {\n' >"$RUNC_GUARD_CONFIG"
expect_refusal bad-json "$RUNC_GUARD_CONFIG:3" --log "$WORK/log.txt" state c1
grep -q 'level=error msg="runc-guard: invalid config' "$WORK/log.txt" || fail "text log lacks the error"

# An explicitly configured file that is missing is an error, not silently the defaults.
export RUNC_GUARD_CONFIG="$WORK/missing.json"
expect_refusal missing-config "cannot read config $WORK/missing.json" state c1
export RUNC_GUARD_CONFIG="$WORK/guard.json"

# Loops: the configured "runc" leads back to runc-guard; the marker stops it at the second hop.
printf '#!/bin/sh\nexec %s "$@"\n' "$GUARD" >"$WORK/loop-runc"
chmod 0755 "$WORK/loop-runc"
write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$WORK/loop-runc\"}}"
expect_refusal loop "leads back to runc-guard (loop)" state c1

# Without runtime.path the documented search list finds the system runc, skipping runc-guard itself
# even when runc-guard is installed under one of the searched names.
write_config "$RUNC_GUARD_CONFIG" '{}'
version_out=$("$GUARD" --version) || fail "--version failed"
[[ "$version_out" == "runc version "* ]] || fail "default search did not find runc: $version_out"

# runc-guardctl config check validates before rollout.
write_config "$WORK/good.json" '{"mode": "observe", "watchdog": {"init_timeout_s": 30}}'
"$GUARDCTL" config check "$WORK/good.json" | grep -q "OK" || fail "config check rejected a good file"
printf '{"mode": "observe",\n "kernel_memory": {"policy": "drop"}}\n' >"$WORK/bad.json"
chmod 0644 "$WORK/bad.json"
rc=0
"$GUARDCTL" config check "$WORK/bad.json" 2>"$WORK/check.err" || rc=$?
[ "$rc" = 1 ] || fail "config check exit $rc on a bad file"
grep -q "$WORK/bad.json:2: key \"kernel_memory.policy\"" "$WORK/check.err" || fail "config check: $(cat "$WORK/check.err")"
echo "runtime_lookup: all checks passed"
