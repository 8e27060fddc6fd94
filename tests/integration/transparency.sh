# runc-guard is invisible: runc gets the identical argv, environment (plus the loop marker), cwd and fds,
# in the same process (the pid the caller waits on), and its exit status comes back unchanged.
source "$(dirname "$0")/../lib.sh"

make_workdir WORK
DUMP="$RG_BUILD/tests/runc_dump"
[ -x "$DUMP" ] || fail "helper $DUMP not built"
cp "$DUMP" "$WORK/runc" && chmod 0755 "$WORK/runc"
export RUNC_GUARD_CONFIG="$WORK/guard.json"
write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$WORK/runc\"}, \"log\": {\"events\": \"$WORK/events.jsonl\"}}"
export RG_DUMP_FILE="$WORK/dump.jsonl"

# invoke RUNTIME NAME ARGS...: run RUNTIME from a subdir with an extra fd 7 open, as a caller would; prints
# the pid it started and leaves the fake runc's record in $WORK/NAME.dump.
invoke() {
  local runtime=$1 name=$2
  shift 2
  rm -f "$RG_DUMP_FILE"
  mkdir -p "$WORK/cwd"
  local rc=0
  (
    cd "$WORK/cwd"
    exec 7<"$WORK/guard.json"
    # Ignored signals (SIGCHLD too, which runc-guard needs for its own children) reach runc as they were.
    trap '' CHLD PIPE HUP
    # As containerd starts runc: a parent-death signal (SIGKILL); and a blocked signal (SIGUSR1). Both must
    # reach runc. CALLER_STACK_KB: a caller's hard stack limit (runc-guard then works on a thread).
    [ -z "${CALLER_STACK_KB:-}" ] || ulimit -s "$CALLER_STACK_KB"
    RG_DUMP_EXIT=42 SOME_VAR='a b' exec setpriv --pdeathsig KILL python3 -c \
      'import os, signal, sys; signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1]); os.execv(sys.argv[1], sys.argv[1:])' \
      "$runtime" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  ) &
  local pid=$!
  wait $pid || rc=$?
  [ "$rc" = 42 ] || fail "$name: exit status $rc, runc's was 42"
  mv "$RG_DUMP_FILE" "$WORK/$name.dump"
  echo "$pid"
}

# check_forwarding NAME ARGS...: the fake runc must see the same thing whether called directly or through
# runc-guard (same argv, env plus only the loop marker, cwd, fds), in the pid the caller started.
check_forwarding() {
  local name=$1
  shift
  invoke "$WORK/runc" "$name.bare" "$@" >/dev/null
  local pid
  pid=$(invoke "$GUARD" "$name.guard" "$@")
  [ ! -s "$WORK/$name.guard.out" ] && [ ! -s "$WORK/$name.guard.err" ] ||
    fail "$name: runc-guard printed something: $(cat "$WORK/$name.guard.out" "$WORK/$name.guard.err")"
  local b g
  b=$(cat "$WORK/$name.bare.dump")
  g=$(cat "$WORK/$name.guard.dump")
  [ "$(jq -r .pid <<<"$g")" = "$pid" ] || fail "$name: runc ran as pid $(jq -r .pid <<<"$g"), the caller waits on $pid"
  [ "$(jq -c '.argv[1:]' <<<"$g")" = "$(jq -c '.argv[1:]' <<<"$b")" ] || fail "$name: argv $(jq -c .argv <<<"$g")"
  [ "$(jq -r '.argv[0]' <<<"$g")" = "$GUARD" ] || fail "$name: argv[0] changed to $(jq -r '.argv[0]' <<<"$g")"
  [ "$(jq -r .cwd <<<"$g")" = "$WORK/cwd" ] || fail "$name: cwd $(jq -r .cwd <<<"$g")"
  [ "$(jq -c '[.SigIgn, .SigBlk]' <<<"$g")" = "$(jq -c '[.SigIgn, .SigBlk]' <<<"$b")" ] ||
    fail "$name: signal dispositions/mask $(jq -c '[.SigIgn, .SigBlk]' <<<"$g") != $(jq -c '[.SigIgn, .SigBlk]' <<<"$b")"
  jq -e '.SigIgn | test("[1-9a-f]")' <<<"$g" >/dev/null || fail "$name: the test's ignored signals did not arrive"
  jq -e '.SigBlk | test("200$")' <<<"$g" >/dev/null || fail "$name: the caller's blocked SIGUSR1 did not arrive: $(jq -r .SigBlk <<<"$g")"
  expect_eq "$(jq -r .pdeathsig <<<"$g")/$(jq -r .pdeathsig <<<"$b")" 9/9 "$name: parent-death signal through runc-guard/bare"
  diff <(jq -r '.env[]' <<<"$b" | grep -v '^_=' | sort) <(jq -r '.env[]' <<<"$g" | grep -v '^_=' | grep -vx "RUNC_GUARD_ACTIVE=$pid.1" | sort) ||
    fail "$name: environment differs beyond the loop marker"
  # The marker names the process that became runc (the caller's pid) at nesting depth 1.
  jq -e --arg m "RUNC_GUARD_ACTIVE=$pid.1" '.env | index($m)' <<<"$g" >/dev/null ||
    fail "$name: loop marker RUNC_GUARD_ACTIVE=$pid.1 missing: $(jq -c '.env | map(select(startswith("RUNC_GUARD")))' <<<"$g")"
  # fds: the caller's, fd 7 included, and nothing of runc-guard's survives the exec.
  local fds='.fds | map_values(sub("\\.(bare|guard)\\."; "."))'
  [ "$(jq -c "$fds" <<<"$g")" = "$(jq -c "$fds" <<<"$b")" ] || fail "$name: fds $(jq -c .fds <<<"$g") != $(jq -c .fds <<<"$b")"
  [ "$(jq -r '.fds["7"]' <<<"$g")" = "$WORK/guard.json" ] || fail "$name: fd 7 is not the caller's file"
  echo "ok: $name forwarded exactly (pid $pid)"
}

check_forwarding state state c1
check_forwarding list --root /r list -f json
check_forwarding kill kill c1 9
check_forwarding delete delete --force c1
check_forwarding unknown-command frobnicate --x
check_forwarding help-create create --help
# Guarded commands take the guarded path (spec load, watchdog) and must be just as invisible.
make_bundle "$WORK/bundle" true
check_forwarding create --log "$WORK/log.json" --log-format json create --bundle "$WORK/bundle" --pid-file "$WORK/p" c1
check_forwarding exec exec -d --pid-file "$WORK/p" c1 true
check_forwarding update update --memory 1000000 c1
check_forwarding start start c1
# The same under a caller's hard stack limit of 2 MiB, where runc-guard works on a thread with a stack of
# its own and execs runc from there (oci/base/stack_limit.h).
export CALLER_STACK_KB=2048
check_forwarding state-small-stack state c1
check_forwarding create-small-stack create --bundle "$WORK/bundle" --pid-file "$WORK/p" c1
check_forwarding exec-small-stack exec -d --pid-file "$WORK/p" c1 true
check_forwarding start-small-stack start c1
unset CALLER_STACK_KB

# Real runc: fds passed with --preserve-fds and LISTEN_FDS arrive in the container, and no other fd does.
# The container lists its own fds; bare runc and runc-guard must show the same list.
export RUNC_GUARD_CONFIG="$WORK/real.json"
write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$REAL_RUNC\"}, \"log\": {\"events\": \"$WORK/events.jsonl\"}}"
make_bundle "$WORK/fds" sh -c 'ls /proc/self/fd | sort -n | tr "\n" " "'
ROOT="$WORK/state"
on_exit "cleanup_container '$ROOT' rg-fds"
fds_seen() {
  (cd "$WORK/fds" && exec 3<"$WORK/guard.json" 4<"$WORK/real.json" 5</dev/null &&
    LISTEN_FDS=1 "$1" --root "$ROOT" run --preserve-fds 2 rg-fds 2>&1)
}
bare=$(fds_seen "$REAL_RUNC")
guarded=$(fds_seen "$GUARD")
[ "$bare" = "$guarded" ] || fail "container fds differ: bare runc '$bare', runc-guard '$guarded'"
# 0-2 stdio, 3 LISTEN_FDS, 4-5 --preserve-fds 2, then the fd ls itself opens.
[[ "$bare" == "0 1 2 3 4 5 "* ]] || fail "container did not get the preserved fds: '$bare'"
echo "ok: container sees the same fds through runc-guard: $guarded"

# Real runc: the pid the caller waits on is runc's own, and signals reach runc (it forwards them to the
# container, whose init traps SIGTERM and exits 42: runc's exit status).
make_bundle "$WORK/sig" sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done'
signal_exit() {
  local runtime=$1 id=$2
  (cd "$WORK/sig" && exec "$runtime" --root "$ROOT" run "$id" >/dev/null 2>&1) &
  local pid=$!
  for _ in $(seq 100); do
    [ "$("$REAL_RUNC" --root "$ROOT" state "$id" 2>/dev/null | jq -r .status)" = running ] && break
    sleep 0.05
  done
  [ "$(readlink "/proc/$pid/exe")" = "$(readlink -f "$REAL_RUNC")" ] || fail "pid $pid runs $(readlink "/proc/$pid/exe"), not runc"
  kill -TERM "$pid"
  local rc=0
  wait "$pid" || rc=$?
  cleanup_container "$ROOT" "$id"
  echo "$rc"
}
on_exit "cleanup_container '$ROOT' rg-sig-bare; cleanup_container '$ROOT' rg-sig-guard"
bare_rc=$(signal_exit "$REAL_RUNC" rg-sig-bare)
guard_rc=$(signal_exit "$GUARD" rg-sig-guard)
[ "$bare_rc" = "$guard_rc" ] || fail "SIGTERM exit status: bare $bare_rc, runc-guard $guard_rc"
[ "$guard_rc" = 42 ] || fail "SIGTERM did not reach the container (exit $guard_rc)"
echo "ok: pid is runc's, SIGTERM forwarded, exit $guard_rc as with bare runc"
echo "transparency: all checks passed"
