# A cold seccomp cache costs the create path nothing: runc-guard hands the profile to its detached watchdog,
# which compiles it (before its first look at runc init) and fills the cache for the next create.
source "$(dirname "$0")/../lib.sh"

make_workdir WORK
cp "$RG_BUILD/tests/runc_dump" "$WORK/runc" && chmod 0755 "$WORK/runc"
export RUNC_GUARD_CONFIG="$WORK/guard.json"
write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$WORK/runc\"}, \"log\": {\"events\": \"$WORK/events.jsonl\"},
  \"seccomp\": {\"cache_dir\": \"$WORK/cache\"}}"
mkdir -p "$WORK/bundle"
cp "$RG_SOURCE/../shared/testdata/docker-20.10/bigprofile.config.json" "$WORK/bundle/config.json" ||
  fail "shared testdata missing"

"$GUARD" create --bundle "$WORK/bundle" c1 || fail "create through runc-guard failed"
for _ in $(seq 100); do
  [ -n "$(ls -A "$WORK/cache" 2>/dev/null)" ] && break
  sleep 0.05
done
entry=$(ls "$WORK/cache"/*.json 2>/dev/null | head -n 1)
[ -n "$entry" ] || fail "the watchdog did not compile the deferred profile into the cache"
jq -e '.summary.bytes == 9024' "$entry" >/dev/null || fail "cache entry: $(cat "$entry")"
expect_no_watchdog_within 5 "deferred compile"
! grep -q 'guard.failed\|seccomp.deferred_failed' "$WORK/events.jsonl" 2>/dev/null || fail "$(cat "$WORK/events.jsonl")"
echo "seccomp_deferred: the watchdog compiled the cold profile ($(jq .summary.bytes "$entry") B) into the cache"
