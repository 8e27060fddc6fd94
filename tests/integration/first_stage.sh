# The first stage: pass-through calls exec runc before the C library starts, from a cache the full runtime
# wrote, and only while everything the full runtime checked still holds.
#  - the build: runc-guard's entry point is rg_entry, the first stage's object calls nothing (no undefined
#    symbol: it runs before the C library is initialised);
#  - the fast path is taken (no config read, one stat per file) and runc sees exactly what the full runtime
#    gives it (argv, env with the loop marker, cwd, fds, pid);
#  - every change the full runtime would react to sends the call back to it: the config edited (touch,
#    chmod 0666: refused as before), runtime.path pointed elsewhere, the runc file replaced or made
#    writable (refused), runc-guard itself replaced, a loop marker naming this pid or 8 deep (refused),
#    metrics enabled (counted);
#  - a cache file that is not root's, is writable by others, is a symlink or is corrupt is ignored.
source "$(dirname "$0")/../lib.sh"
need strace readelf nm

grep -q '^RUNC_GUARD_STATIC:BOOL=ON' "$RG_BUILD/CMakeCache.txt" || fail "the first stage needs the static build"
entry=$(readelf -h "$GUARD" | awk '/Entry point address/ {print $4}')
rg_entry=$(nm "$GUARD" | awk '$3 == "rg_entry" {print "0x" $1}')
[ -n "$rg_entry" ] && [ $((entry)) = $((rg_entry)) ] || fail "entry point $entry is not rg_entry ($rg_entry)"
OBJ=$(find "$RG_BUILD/shim/first_stage" -name 'first_stage.c.o' | head -n 1)
[ -f "$OBJ" ] || fail "first_stage.c.o not found under $RG_BUILD/shim/first_stage"
[ -z "$(nm -u "$OBJ")" ] || fail "the first stage calls library code, which is not initialised yet: $(nm -u "$OBJ" | xargs)"
echo "ok: entry point rg_entry, the first stage calls nothing"

make_workdir WORK
cp "$RG_BUILD/tests/runc_dump" "$WORK/runc" && chmod 0755 "$WORK/runc"
cp "$RG_BUILD/tests/runc_dump" "$WORK/runc2" && chmod 0755 "$WORK/runc2"
export RUNC_GUARD_CONFIG="$WORK/guard.json"
export RG_DUMP_FILE="$WORK/dump.jsonl"
config() { write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$1\"}, \"log\": {\"events\": \"$WORK/events.jsonl\"}${2:-}}"; }
config "$WORK/runc"
CACHE="/run/runc-guard/passthrough/$(printf '%s' "$RUNC_GUARD_CONFIG" | python3 -c '
import sys
h = 0xcbf29ce484222325
for b in sys.stdin.buffer.read(): h = ((h ^ b) * 0x100000001b3) % (1 << 64)
print("%016x" % h)')"
on_exit "rm -f '$CACHE'"
rm -f "$CACHE"

# call NAME ARGS...: runc-guard under strace (openat/newfstatat/execve), the fake runc's record in
# $WORK/NAME.dump; prints the trace's path.
call() {
  local name=$1
  shift
  rm -f "$RG_DUMP_FILE"
  strace -qq -e trace=openat,newfstatat,execve -o "$WORK/$name.trace" "$GUARD" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || true
  [ -f "$RG_DUMP_FILE" ] && mv "$RG_DUMP_FILE" "$WORK/$name.dump"
  return 0
}
reads_config() { grep -q "openat(AT_FDCWD, \"$RUNC_GUARD_CONFIG\"" "$WORK/$1.trace"; }
fast() { ! reads_config "$1" && [ -f "$WORK/$1.dump" ]; }
exec_target() { grep -o 'execve("[^"]*"' "$WORK/$1.trace" | sed -n 2p | cut -d'"' -f2; }

call first --root "$WORK/r" state c1
reads_config first || fail "the first call did not go through the full runtime"
[ -f "$CACHE" ] || fail "no pass-through cache at $CACHE"
[ "$(stat -c '%u %a' "$CACHE")" = "0 644" ] || fail "cache owner/mode: $(stat -c '%u %a' "$CACHE")"
call second --root "$WORK/r" state c1
fast second || fail "the second call did not take the fast path: $(head -5 "$WORK/second.trace")"
[ "$(exec_target second)" = "$WORK/runc" ] || fail "fast path exec'd $(exec_target second)"
stats=$(awk '/execve\(/ {n++} n == 1 && /newfstatat/ {c++} END {print c + 0}' "$WORK/second.trace")  # before runc's exec
[ "$stats" -le 4 ] || fail "the fast path made $stats stat calls"
echo "ok: first call wrote the cache, the second exec'd runc from the first stage ($stats stats, no config read)"

# What runc sees is what the full runtime gives it (marker pid.depth included, relative to each call's pid).
norm() {  # (stdout/stderr go to per-call files)
  jq -c --arg pid "$(jq -r .pid "$1")" '{argv, cwd, SigIgn, SigBlk, fds: (.fds | map_values(sub("(first|second)[.]"; "CALL."))),
    env: [.env[] | sub("RUNC_GUARD_ACTIVE=" + $pid; "RUNC_GUARD_ACTIVE=PID")]}' "$1"
}
expect_eq "$(norm "$WORK/second.dump")" "$(norm "$WORK/first.dump")" "runc's view through the first stage and through the full runtime"
jq -e --arg m "RUNC_GUARD_ACTIVE=$(jq -r .pid "$WORK/second.dump").1" '.env | index($m)' "$WORK/second.dump" >/dev/null ||
  fail "first stage's loop marker: $(jq -c '.env | map(select(startswith("RUNC_GUARD")))' "$WORK/second.dump")"
for args in "kill c1 9" "delete c1" "list" "ps c1" "events --stats c1" "pause c1" "resume c1" "features"; do
  call pass $args
  fast pass || fail "'$args' did not take the fast path"
done
for args in "--version" "create c1" "start c1" "exec c1 true" "update --memory 1 c1" "delete --force=false c1"; do
  call guarded $args
  reads_config guarded || fail "'$args' skipped the full runtime"
done
# delete --force: fast where no guard acts on it (runc 1.1 thaws a frozen container itself); through the
# full runtime where the frozen-container guard thaws first (runc before 1.1).
call forced delete --force c1
fast forced || fail "delete --force with a runc 1.1 did not take the fast path"
config "$WORK/runc2"
RG_DUMP_VERSION=1.0.3 call warm103 state c1  # the full runtime asks runc2 its version and writes the cache
call forced103 delete --force c1
reads_config forced103 || fail "delete --force with a runc 1.0 skipped the full runtime (the frozen-container guard)"
call state103 state c1
fast state103 || fail "the cache written for runc 1.0 is not used for state"
config "$WORK/runc"
echo "ok: state/kill/delete/list/ps/events/pause/resume/features fast, delete --force too on runc 1.1 but not 1.0; --version and guarded commands full"

# Each change goes back through the full runtime.
call warm state c1
touch "$RUNC_GUARD_CONFIG"
call touched state c1
reads_config touched || fail "an edited config did not invalidate the cache"
call again state c1
fast again || fail "the cache was not rewritten after the config changed"
# refused_as_writable TAG WHAT: the call TAG ran no runc and said why.
refused_as_writable() {
  [ ! -f "$WORK/$1.dump" ] && grep -q "writable by group or others" "$WORK/$1.err" ||
    fail "a group/other-writable $2 was not refused: $(cat "$WORK/$1.err")"
}
chmod 0666 "$RUNC_GUARD_CONFIG"
call insecure state c1
refused_as_writable insecure config
chmod 0644 "$RUNC_GUARD_CONFIG"
config "$WORK/runc2"
call moved state c1
[ "$(exec_target moved)" = "$WORK/runc2" ] || fail "runtime.path changed, but $(exec_target moved) ran"
call moved2 state c1
fast moved2 && [ "$(exec_target moved2)" = "$WORK/runc2" ] || fail "no fast path to the new runtime.path"
cp "$WORK/runc" "$WORK/runc2.new" && mv "$WORK/runc2.new" "$WORK/runc2"  # an upgrade: a new file
call upgraded state c1
reads_config upgraded || fail "a replaced runc did not invalidate the cache"
call warm state c1
chmod 0777 "$WORK/runc2"
call writable state c1
refused_as_writable writable runc
chmod 0755 "$WORK/runc2"
echo "ok: config touched/insecure, runtime.path moved, runc replaced/insecure: back to the full runtime"

call warm state c1
cp "$GUARD" "$WORK/runc-guard-copy"
strace -qq -e trace=openat -o "$WORK/copy.trace" "$WORK/runc-guard-copy" state c1 >/dev/null 2>&1 || true
grep -q "openat(AT_FDCWD, \"$RUNC_GUARD_CONFIG\"" "$WORK/copy.trace" || fail "another runc-guard binary trusted this one's cache"
echo "ok: another runc-guard binary does not trust the cache"

call warm state c1
set +e
out=$(bash -c 'exec env RUNC_GUARD_ACTIVE=$$.1 "$0" state c1' "$GUARD" 2>&1)
rc=$?
out8=$(RUNC_GUARD_ACTIVE=12345.8 "$GUARD" state c1 2>&1)
rc8=$?
set -e
[ "$rc" = 1 ] && [[ "$out" == *"loop"* ]] || fail "a marker naming this pid was not refused: rc $rc: $out"
[ "$rc8" = 1 ] && [[ "$out8" == *"nested 8 deep"* ]] || fail "a marker 8 deep was not refused: rc $rc8: $out8"
RUNC_GUARD_ACTIVE=12345.2 call hook state c1
fast hook || fail "a hook's marker (another pid) left the fast path"
jq -e --arg m "RUNC_GUARD_ACTIVE=$(jq -r .pid "$WORK/hook.dump").3" '.env | index($m) and (map(select(startswith("RUNC_GUARD_ACTIVE="))) | length == 1)' "$WORK/hook.dump" >/dev/null ||
  fail "nested marker: $(jq -c '.env | map(select(startswith("RUNC_GUARD")))' "$WORK/hook.dump")"
echo "ok: loop markers: own pid and depth 8 refused, a hook's marker nested"

config "$WORK/runc" ", \"metrics\": {\"textfile_dir\": \"$WORK/metrics\"}"
mkdir -p "$WORK/metrics"
for i in 1 2 3; do call metrics state c1; done
reads_config metrics || fail "with metrics the fast path skipped counting"
[ "$(awk '$1 == "runc_guard_invocations_total{command=\"state\"}" {print $2}' "$WORK/metrics/runc_guard.prom")" = 3 ] ||
  fail "state calls counted: $(cat "$WORK/metrics/runc_guard.prom")"
echo "ok: metrics enabled: every call counted by the full runtime"

config "$WORK/runc"
call warm state c1
call warm state c1
fast warm || fail "no fast path before the cache tampering checks"
for tamper in owner mode symlink corrupt; do
  cp -p "$CACHE" "$WORK/cache.good"
  case $tamper in
    owner) chown 65534 "$CACHE" ;;
    mode) chmod 0666 "$CACHE" ;;
    symlink) mv "$CACHE" "$WORK/cache.target" && ln -s "$WORK/cache.target" "$CACHE" ;;
    corrupt) printf 'x' | dd of="$CACHE" bs=1 seek=100 conv=notrunc status=none ;;
  esac
  call tampered state c1
  reads_config tampered || fail "a cache with a bad $tamper was trusted"
  rm -f "$CACHE" && cp -p "$WORK/cache.good" "$CACHE"
done
echo "ok: a cache of another owner, writable by others, behind a symlink or corrupt is ignored"
echo "first_stage: all checks passed"
