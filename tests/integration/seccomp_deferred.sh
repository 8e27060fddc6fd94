# A cold seccomp cache costs the create path nothing: runc-guard hands the profile to its detached watchdog,
# which compiles it (before its first look at runc init) and fills the cache for the next create. Only for a
# runc that can block exporting its filter (1.0.0-rc93): over runc 1.1.5 nothing is compiled or cached.
source "$(dirname "$0")/../lib.sh"

make_workdir WORK
export RUNC_GUARD_CONFIG="$WORK/guard.json"
mkdir -p "$WORK/bundle"
cp "$RG_SOURCE/../shared/testdata/docker-20.10/bigprofile.config.json" "$WORK/bundle/config.json" ||
  fail "shared testdata missing"
# use_runc_claiming VERSION: runc-guard configured for a copy of runc_dump that says it is runc VERSION (a
# copy per version: runc-guard caches the answer per binary).
use_runc_claiming() {
  cp "$RG_BUILD/tests/runc_dump" "$WORK/runc-$1" && chmod 0755 "$WORK/runc-$1"
  write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$WORK/runc-$1\"}, \"log\": {\"events\": \"$WORK/events.jsonl\"},
    \"seccomp\": {\"cache_dir\": \"$WORK/cache\"}}"
  export RG_DUMP_VERSION=$1
}

use_runc_claiming 1.1.5
"$GUARD" create --bundle "$WORK/bundle" c0 || fail "create through runc-guard over 1.1.5 failed"
expect_no_watchdog_within 5 "create over 1.1.5"
[ -z "$(ls -A "$WORK/cache" 2>/dev/null)" ] || fail "a profile was compiled for runc 1.1.5: $(ls "$WORK/cache")"
! grep -q 'seccomp\.' "$WORK/events.jsonl" 2>/dev/null || fail "seccomp events for runc 1.1.5: $(cat "$WORK/events.jsonl")"

use_runc_claiming 1.0.0-rc93
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
