# The keeper: runc exec'd from a sealed in-memory copy of itself, with real runc 1.1.5 (Debian: bind-mounts
# /proc/self/exe on every init) and 1.1.15 (copies its binary into a memfd on every init).
#  - runc-guardctl keeper: its copy is byte-identical to runc, sealed with exactly runc's four seals, and its
#    record is root's;
#  - through runc-guard, runc init runs from that copy and skips its own protection (strace: bare 1.1.5
#    bind-mounts /proc/self/exe, bare 1.1.15 makes a runc_cloned memfd; through the keeper neither), while
#    the transcript of a session is the same as bare runc's;
#  - a replaced runc binary is copied again and used; a killed keeper falls back to runc by path (and one is
#    started again on demand); forged records (not root's, another process, another memfd) are never used;
#  - a keeper ends when its runc file is gone.
# Under a child subreaper, as runc runs under containerd-shim (see runc_matrix_session.sh).
if [ -z "${RG_UNDER_SUBREAPER:-}" ]; then
  command -v tini >/dev/null || { echo "FAIL: required tool 'tini' is not installed (tests/run.sh installs it)" >&2; exit 1; }
  RG_UNDER_SUBREAPER=1 exec tini -s -- bash "$0" "$@"
fi
source "$(dirname "$0")/../lib.sh"
need strace python3
source "$(dirname "$0")/session_lib.bash"

RUNC_1115=$(runc_release v1.1.15)
make_workdir WORK
ROOT="$WORK/root"
KDIR=/run/runc-guard/keeper
export RUNC_GUARD_CONFIG="$WORK/guard.json"
on_exit 'for c in "$ROOT"/*/; do [ -d "$c" ] && "$REAL_RUNC" --root "$ROOT" delete --force "$(basename "$c")" >/dev/null 2>&1; done; true'
KEEPERS=()
# The runc copies go first: their keepers then end by themselves and take their record and lock file along.
on_exit 'rm -f "$WORK/runc-115" "$WORK/runc-1115" "$WORK/runc-crash"; for _ in $(seq 30); do alive=0; for k in "${KEEPERS[@]}"; do process_alive "$k" && alive=1; done; [ $alive = 0 ] && break; sleep 0.1; done; kill "${KEEPERS[@]}" 2>/dev/null; true'

# Private copies of the runcs: their own keepers and records, removed with the test (their keepers end then).
cp "$REAL_RUNC" "$WORK/runc-115" && cp "$RUNC_1115" "$WORK/runc-1115"
chmod 0755 "$WORK/runc-115" "$WORK/runc-1115"
config() { write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$1\"}, \"log\": {\"events\": \"$WORK/events.jsonl\"}${2:-}}"; }
record_of() {  # RUNC: the keeper's record for it
  local f
  for f in "$KDIR"/*.json; do [ "$(jq -r .runc_path "$f" 2>/dev/null)" = "$1" ] && { cat "$f"; return 0; }; done
  return 1
}
wait_record() {  # RUNC [JQ_CONDITION]: until a record for RUNC (that meets the condition) exists, in $rec
  for _ in $(seq 100); do
    rec=$(record_of "$1") && jq -e "${2:-true}" <<<"$rec" >/dev/null && return 0
    sleep 0.05
  done
  fail "no keeper record for $1 ${2:+where $2}"
}
seals() { python3 -c 'import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); print(fcntl.fcntl(fd, fcntl.F_GET_SEALS))' "$1"; }

make_bundle "$WORK/bundle" sleep 300
make_bundle "$WORK/true" true

note "runc-guardctl keeper"
"$GUARDCTL" keeper --runc "$WORK/runc-115" --poll-ms 100 &
KEEPERS+=($!)
wait_record "$WORK/runc-115"
pid=$(jq -r .pid <<<"$rec") fd=$(jq -r .fd <<<"$rec")
[ "$pid" = "${KEEPERS[0]}" ] || fail "record pid $pid, keeper ${KEEPERS[0]}"
cmp -s "/proc/$pid/fd/$fd" "$WORK/runc-115" || fail "the keeper's copy differs from runc"
expect_eq "$(seals "/proc/$pid/fd/$fd")" 15 "seals (SEAL|SHRINK|GROW|WRITE)"
[ "$(jq -r .runc.sha256 <<<"$rec")" = "$(sha256sum <"$WORK/runc-115" | cut -d' ' -f1)" ] || fail "sha256 in the record"
f=$(grep -l "\"$WORK/runc-115\"" "$KDIR"/*.json)
[ "$(stat -c '%u %a' "$f")" = "0 644" ] || fail "record owner/mode $(stat -c '%u %a' "$f")"
[ "$(cat /proc/$pid/comm)" = rg-keeper ] || fail "keeper comm $(cat /proc/$pid/comm)"
echo "ok: copy identical to runc, sealed (15), record root's 0644, sha256 right"

exe_of_init() { readlink "/proc/$(jq -r .init_process_pid "$ROOT/$1/state.json")/exe"; }
note "runc init runs from the copy and skips runc's own protection"
config "$WORK/runc-115"
"$GUARD" --root "$ROOT" create --bundle "$WORK/bundle" k1 </dev/null >/dev/null 2>&1 || fail "create through the keeper"
[ "$(exe_of_init k1)" = "/memfd:runc (deleted)" ] || fail "k1's init runs $(exe_of_init k1), not the keeper's copy"
"$GUARD" --root "$ROOT" start k1 || fail "start"
"$GUARD" --root "$ROOT" exec k1 true || fail "exec through the keeper"
# The bind mount (1.1.5) and the memfd copy (1.1.15) of runc's CVE-2019-5736 protection, counted by strace
# over a foreground run (everything exits, so strace does).
protection() {  # RUNNER: "bind mounts of /proc/self/exe, runc_cloned memfds"
  strace -f -qq -e trace=mount,memfd_create -o "$WORK/p.trace" "$1" --root "$ROOT" run --bundle "$WORK/true" p </dev/null >/dev/null 2>&1 || true
  echo "$(grep -c 'mount("/proc/self/exe"' "$WORK/p.trace") $(grep -c 'memfd_create("runc_cloned' "$WORK/p.trace")"
}
expect_eq "$(protection "$WORK/runc-115")" "1 0" "bare 1.1.5: /proc/self/exe bind-mounted once per init"
expect_eq "$(protection "$GUARD")" "0 0" "1.1.5 through the keeper"
config "$WORK/runc-1115" ', "keeper": {"start_on_demand": false}'
"$GUARDCTL" keeper --runc "$WORK/runc-1115" --poll-ms 100 &
KEEPERS+=($!)
wait_record "$WORK/runc-1115"
expect_eq "$(protection "$WORK/runc-1115")" "0 1" "bare 1.1.15: a runc_cloned memfd per init"
expect_eq "$(protection "$GUARD")" "0 0" "1.1.15 through the keeper"
echo "ok: 1.1.5 bind mount and 1.1.15 binary copy gone through the keeper"

note "the session is the same through the keeper (1.1.15)"
S="$WORK/session"
mkdir -p "$S/barebin" "$S/guardbin"
ln -s "$WORK/runc-1115" "$S/barebin/runc"
ln -s "$GUARD" "$S/guardbin/runc"  # runc names itself after argv[0] in help texts
on_exit "session_cleanup '$WORK/runc-1115' '$S/state' rg-keeper-s"
session_bundles "$WORK/runc-1115" "$S"
session "$S/barebin/runc" "$S/bare" "$S" "$S/state" rg-keeper-s "$WORK/runc-1115"
session_bundles "$WORK/runc-1115" "$S"
session "$S/guardbin/runc" "$S/guard" "$S" "$S/state" rg-keeper-s "$WORK/runc-1115"
check_session_ran "$S/bare" "runc 1.1.15"
compare_sessions "$S/bare" "$S/guard" >"$S/differences.txt"
[ "$SESSION_DIFFS" = 0 ] || fail "the session differs through the keeper: $(cat "$S/differences.txt")"
echo "ok: session identical through the keeper ($SESSION_STEPS outputs)"

note "a replaced runc is copied again"
config "$WORK/runc-115"
old_copy=$(record_of "$WORK/runc-115" | jq -r .copy.ino)
cp "$WORK/runc-115" "$WORK/runc-115.new" && mv "$WORK/runc-115.new" "$WORK/runc-115"
wait_record "$WORK/runc-115" ".runc.ino == $(stat -c %i "$WORK/runc-115")"
[ "$(jq -r .copy.ino <<<"$rec")" != "$old_copy" ] || fail "the copy was not renewed"
"$GUARD" --root "$ROOT" create --bundle "$WORK/bundle" k2 </dev/null >/dev/null 2>&1 || fail "create after the upgrade"
[ "$(stat -L -c %i "/proc/$(jq -r .init_process_pid "$ROOT/k2/state.json")/exe")" = "$(jq -r .copy.ino <<<"$rec")" ] ||
  fail "k2's init does not run the renewed copy"
echo "ok: the upgraded runc was copied again and the new copy used"

note "a killed keeper, forged records"
config "$WORK/runc-115" ', "keeper": {"start_on_demand": true}'
kill -9 "${KEEPERS[0]}"
wait "${KEEPERS[0]}" 2>/dev/null || true  # dead and reaped: its files are closed
"$GUARD" --root "$ROOT" create --bundle "$WORK/bundle" k3 </dev/null >/dev/null 2>&1 || fail "create with a dead keeper"
[ "$(exe_of_init k3)" != "/memfd:runc (deleted)" ] || fail "k3 ran from a dead keeper's copy"
wait_record "$WORK/runc-115" ".pid != ${KEEPERS[0]}"  # started again on demand
npid=$(jq -r .pid <<<"$rec")
[ "$npid" != "${KEEPERS[0]}" ] && [ "$(cat "/proc/$npid/comm")" = rg-keeper ] || fail "no keeper started on demand"
grep -q ':/runc-guard-keeper$' "/proc/$npid/cgroup" && ! grep -q "rg-test" "/proc/$npid/cgroup" ||
  fail "the keeper started on demand stayed in its caller's cgroups: $(cat "/proc/$npid/cgroup")"
KEEPERS+=("$npid")
echo "ok: dead keeper: runc by path, a new keeper on demand ($npid)"
f=$(grep -l "\"$WORK/runc-115\"" "$KDIR"/*.json)
cp "$f" "$WORK/record.good"
# Another root process holding, at fd 3, a memfd with runc's bytes — but unsealed, so anyone could change them.
python3 -c 'import os, sys, time
fd = os.memfd_create("runc", os.MFD_CLOEXEC)
os.write(fd, open(sys.argv[1], "rb").read())
os.dup2(fd, 3)
time.sleep(300)' "$WORK/runc-115" &
other=$!
sleep 0.5
KEEPERS+=("$other")
forge() {  # JQ_FILTER [OWNER]: the record rewritten; a run must not use it
  kill -STOP "$npid"  # the keeper would write its record again
  jq -c "$1" "$WORK/record.good" >"$f.tmp" && chmod 0644 "$f.tmp" && chown "${2:-0}" "$f.tmp" && mv "$f.tmp" "$f"
  "$GUARD" --root "$ROOT" create --bundle "$WORK/bundle" "$3" </dev/null >/dev/null 2>&1 || fail "create $3 with a forged record"
  [[ "$(exe_of_init "$3")" != /memfd:* ]] || fail "$3 ran from a forged record's file: $(exe_of_init "$3")"
  cp "$WORK/record.good" "$f"
  kill -CONT "$npid"
}
stat_start() { awk '{print $22}' "/proc/$1/stat"; }
# It names exactly that memfd (inode and device): only its missing seals give it away.
forge ". | .pid = $other | .start_time = $(stat_start $other) | .fd = 3 | .copy.ino = $(stat -L -c %i /proc/$other/fd/3) | .copy.dev = $(stat -L -c %d /proc/$other/fd/3)" 0 f1
forge ". | .copy.ino = 1" 0 f2
forge "." 65534 f3
forge ". | .start_time = 1" 0 f4
echo "ok: records naming an unsealed memfd of another process, another memfd, not root's, or a reused pid are not used"

note "a keeper ends when its runc is gone, and leaves no file behind"
kill "$other"
gone_record=""
for f in "$KDIR"/*.json; do [ "$(jq -r .runc_path "$f" 2>/dev/null)" = "$WORK/runc-1115" ] && gone_record=$f; done
[ -n "$gone_record" ] && [ -e "$gone_record.lock" ] || fail "no record and lock file for $WORK/runc-1115"
rm -f "$WORK/runc-1115"
for _ in $(seq 40); do kill -0 "${KEEPERS[1]}" 2>/dev/null || break; sleep 0.1; done
process_alive "${KEEPERS[1]}" && fail "the keeper of a deleted runc is still there"
[ -e "$gone_record" ] && fail "the record of a deleted runc is still there"
[ -e "$gone_record.lock" ] && fail "the lock file of a deleted runc is still there: $gone_record.lock"
echo "ok: keeper of a removed runc ended, its record and lock file removed"
note "a keeper for a runc that does not exist"
files_before=$(ls "$KDIR" | wc -l)
out=$("$GUARDCTL" keeper --runc "$WORK/no-such-runc" 2>&1) && fail "keeper of a missing runc succeeded"
[[ $out == *"$WORK/no-such-runc: No such file or directory"* ]] || fail "keeper of a missing runc said: $out"
[ "$(ls "$KDIR" | wc -l)" = "$files_before" ] || fail "keeper of a missing runc left files in $KDIR"
echo "ok: a keeper for a missing runc fails, says so and leaves no file"

note "a keeper killed while copying is not started again on every call (30 s back-off)"
# A real death: the keeper inherits the caller's RLIMIT_FSIZE and the kernel kills it with SIGXFSZ once its
# memfd copy passes 1 MB. Without the back-off every exec probe started another keeper (a 10 MB copy and two
# sha256 passes each).
cp "$REAL_RUNC" "$WORK/runc-crash" && chmod 0755 "$WORK/runc-crash"
config "$WORK/runc-crash" ', "keeper": {"start_on_demand": true}'
"$REAL_RUNC" --root "$ROOT" run -d --bundle "$WORK/bundle" probe </dev/null >/dev/null
: >"$WORK/events.jsonl"
: >"$WORK/before-crash"
# Every keeper copy begins with memfd_create("runc", …) (runc's own clone is named differently): counted with
# strace following the runtime and everything it forks.
probe() {
  strace -f -qq -e trace=memfd_create -o "$WORK/strace.$((++probes))" "$@" "$GUARD" --root "$ROOT" exec probe true ||
    fail "exec probe"
}
copies() { cat "$WORK"/strace.* | grep -c 'memfd_create("runc",' || true; }
probes=0
for _ in $(seq 10); do probe prlimit --fsize=1048576; sleep 0.1; done
[ "$(copies)" = 1 ] || fail "keeper copies begun in 10 exec probes: $(copies) (want 1)"
count() { grep -c "\"event\":\"$1\"" "$WORK/events.jsonl" || true; }
[ "$(count keeper.started)" = 1 ] || fail "keepers started in 10 probes: $(count keeper.started) (want 1)"
[ "$(count keeper.start_deferred)" = 9 ] || fail "deferred starts: $(count keeper.start_deferred) (want 9)"
attempt=$(find "$KDIR" -name '*.attempt' -newer "$WORK/before-crash")
[ -n "$attempt" ] || fail "no attempt marker left by the killed keeper"
[ ! -e "${attempt%.attempt}" ] || fail "the killed keeper published a record"
check=$("$GUARDCTL" doctor --json | jq -c '.checks[] | select(.id == "runc_guard.keeper")') || true
[ "$(jq -r .status <<<"$check")" = warn ] && [[ $(jq -r .evidence <<<"$check") == *"never published its copy"* ]] ||
  fail "doctor does not report the keeper that never published: $check"
touch -d '-31 seconds' "$attempt"
probe prlimit --fsize=1048576
[ "$(count keeper.started)" = 2 ] || fail "no new keeper after the back-off: $(count keeper.started) started"
touch -d '-31 seconds' "$attempt"
"$GUARD" --root "$ROOT" exec probe true || fail "exec probe"  # not under strace: this keeper stays
wait_record "$WORK/runc-crash"
[ ! -e "$attempt" ] || fail "the attempt marker stays after a keeper published its copy"
[ "$(count keeper.started)" = 3 ] || fail "keepers started: $(count keeper.started) (want 3)"
"$REAL_RUNC" --root "$ROOT" delete --force probe
echo "ok: a killed keeper held back on-demand starts for 30 s (1 start, 9 deferred in 10 probes), then one start, marker gone once a keeper published"

note "a keeper under a caller's hard stack limit of 2 MiB (it works on a thread with a stack of its own)"
cp "$WORK/runc-115" "$WORK/runc-small-stack"
(ulimit -s 2048 && exec "$GUARDCTL" keeper --runc "$WORK/runc-small-stack" --poll-ms 100) &
small=$!
KEEPERS+=($small)
wait_record "$WORK/runc-small-stack"
expect_eq "$(jq -r .pid <<<"$rec")" "$small" "the small-stack keeper's record pid"
expect_eq "$(cat /proc/$small/comm)" rg-keeper "the small-stack keeper's process name"
kill -TERM "$small"
rc=0
wait "$small" || rc=$?
expect_eq "$rc" 0 "the small-stack keeper's exit status after SIGTERM"
echo "ok: under a 2 MiB hard stack limit the keeper publishes its copy, is named rg-keeper and stops on SIGTERM"

echo "keeper: all checks passed"
