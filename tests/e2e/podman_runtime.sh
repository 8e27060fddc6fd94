#!/bin/bash
# End-to-end: runc-guard as a podman 4.3 runtime (conmon 2.1, runc 1.1.5), registered by
# `runc-guardctl install podman` into podman's containers.conf.d drop-in directory.
#
# podman reads /etc/containers/containers.conf.d/*.conf only (CONTAINERS_CONF replaces every file, drop-ins
# included), so the test runs in a private mount namespace where the machine's files are hidden, never used
# and never modified:
#   /etc/containers  a bind mount of the test's own directory (containers.conf, policy.json, drop-ins)
#   /run             a private tmpfs (runc's default --root /run/runc, which podman uses, and runc-guard's
#                    caches land there; podman never passes --root: --runtime-flag is lost by conmon's
#                    cleanup command)
#   /var/log         a private tmpfs (runc-guard's default event log, for the default-config phase)
#   /etc/runc-guard  a private empty tmpfs if the machine has one (that phase expects the built-in defaults)
#   /var/lib         read-only (podman's image copy would create /var/lib/containers/cache whatever --root
#                    says; read-only it falls back to a memory cache, and any other write fails the test)
# podman runs with its own --root/--runroot/--tmpdir, vfs, cgroupfs under a cgroup parent of our own, file
# events, file locks (not /dev/shm/libpod_lock) and no network.
#
# podman starts the runtime with an environment of its own (recorded below): RUNC_GUARD_CONFIG never
# reaches runc-guard, so runc-guard reads /etc/runc-guard/config.json. The test gives it its config with a
# root-owned wrapper registered as the runtime binary (sets RUNC_GUARD_CONFIG, execs runc-guard).
#
#  1. A drop-in podman cannot parse is refused by the installer with its position, nothing written.
#  2. install --dry-run names the default drop-in path and writes nothing; install creates containers.conf.d
#     (Debian's podman has none) and registers the wrapper; `podman --runtime runc-guard info` resolves it;
#     runc keeps --log-format=json (the drop-in kept podman's built-in runtime_supports_json and added
#     runc-guard); podman info's `--version` call is the only one that gets podman's environment.
#  3. The same transcript through --runtime runc-guard and --runtime runc — run -d, exec (exit code,
#     stdout/stderr, -i, -t, nonexistent binary), pause/unpause (freezer), exec while paused, top, update
#     --memory (cgroup), stop (TERM handled), rm, failing creates (127 and 126), no-new-privileges, run -i
#     with stdin, foreground run exit code — is identical after normalising ids and the runtime name.
#     Every runc call of the runc-guard container went through runc-guard (a recorder as runtime.path sees
#     runc-guard's RUNC_GUARD_ACTIVE marker), with podman's --log-format=json; podman's environment for
#     the runtime is asserted.
#  4. The reproduction: the same runtime under a name missing from runtime_supports_json gets no
#     --log-format=json and runc's error reaches the user as raw logrus text; runc-guard's own refusal
#     (an insecure config) is a message through runc-guard, raw text through the other name.
#  5. install --as-default with the real binary (no wrapper): podman info shows runc-guard and its
#     --version, doctor the registration; a container without --runtime runs through runc-guard with its
#     default config (its default seccomp cache appears in the private /run); uninstall leaves
#     /etc/containers exactly as before install and podman back on runc; doctor still sees the
#     registration by hand (runc-guard-nojson).
#  6. No container, conmon, watchdog or cgroup is left behind; the event log shows no guard failure.
set -euo pipefail

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
[ "$(id -u)" = 0 ] || fail "the podman end-to-end test runs podman, conmon and runc as root"
command -v unshare >/dev/null || fail "unshare (util-linux) is not installed"
if [ "${RG_PODMAN_E2E_NS:-}" != 1 ]; then
  # Private propagation: nothing mounted below ever reaches the machine's mount table.
  exec unshare --mount --propagation private env RG_PODMAN_E2E_NS=1 bash "$0" "$@"
fi

RG_BUILD=$(cd "${RG_BUILD:?RG_BUILD must point at the build directory}" && pwd)
RG_SOURCE=${RG_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
GUARD="$RG_BUILD/runc-guard"
GUARDCTL="$RG_BUILD/runc-guardctl"
REAL_RUNC=${REAL_RUNC:-/usr/bin/runc}
for tool in podman conmon jq busybox mount umount; do
  command -v "$tool" >/dev/null || fail "required tool '$tool' is not installed (tests/run.sh installs podman, conmon, jq, busybox-static)"
done
[ -x "$GUARD" ] && [ -x "$GUARDCTL" ] || fail "runc-guard/runc-guardctl not built in $RG_BUILD"
[ -x "$REAL_RUNC" ] || fail "real runc not found at $REAL_RUNC (apt-get install runc)"
[ -d /etc/containers ] || fail "/etc/containers does not exist: is podman installed?"

T0=${EPOCHREALTIME/./}
log() {
  local us=$((${EPOCHREALTIME/./} - T0))
  printf '[%4d.%01ds] %s\n' $((us / 1000000)) $((us / 100000 % 10)) "$*" >&2
}

# --- cleanup stack (every exit path: normal, failure, INT, TERM) --------------------------------------------
EXIT_HOOKS=()
on_exit() { EXIT_HOOKS+=("$*"); }
run_exit_hooks() {
  local status=$? i
  trap - EXIT INT TERM
  set +e
  for ((i = ${#EXIT_HOOKS[@]} - 1; i >= 0; i--)); do eval "${EXIT_HOOKS[$i]}"; done
  exit "$status"
}
trap run_exit_hooks EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

T=$(mktemp -d /tmp/rg-podman.XXXXXX)
chmod 0755 "$T"
CGROUP_PARENT="/$(basename "$T")"
MY_MNT_NS=$(readlink /proc/self/ns/mnt)
on_exit remove_tree
remove_tree() {
  local mnt cg
  for cg in /sys/fs/cgroup/*"$CGROUP_PARENT"; do
    [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  while read -r mnt; do umount -l "$mnt" 2>/dev/null; done < <(awk -v p="$T/" 'index($5, p) == 1 {print $5}' /proc/self/mountinfo | sort -r)
  rm -rf --one-file-system "$T"
}

# --- the private view of the machine ---------------------------------------------------------------------
ETC="$T/etc-containers"
# No containers.conf.d/: Debian's podman package does not ship it, and install creates it.
mkdir -p "$ETC" "$T/cni" "$T/tmp" "$T/state" "$T/seccomp"
printf '{"default": [{"type": "insecureAcceptAnything"}]}\n' >"$ETC/policy.json"
cat >"$ETC/containers.conf" <<EOF
# The test's /etc/containers/containers.conf (podman also reads /usr/share/containers/containers.conf).
[containers]
# podman's defaults exceed this machine's hard limits.
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
netns = "none"

[network]
network_config_dir = "$T/cni"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$T/podman-events.log"
lock_type = "file"
tmp_dir = "$T/libpod"
# Pinned: podman would prefer crun where it is installed.
runtime = "runc"

[engine.runtimes]
runc = ["$REAL_RUNC"]
EOF
mount --bind "$ETC" /etc/containers
[ "$(stat -c %d:%i /etc/containers)" = "$(stat -c %d:%i "$ETC")" ] || fail "/etc/containers is not the test's directory"
mount --bind /var/lib /var/lib
mount -o remount,bind,ro /var/lib
mount -t tmpfs -o mode=0755,size=64m rg-podman-run /run
mount -t tmpfs -o mode=0755,size=16m rg-podman-log /var/log
# runc-guard's default config must not be the machine's (the default-config phase expects built-in defaults).
if [ -e /etc/runc-guard ]; then mount -t tmpfs -o mode=0755,size=1m rg-podman-etc-runc-guard /etc/runc-guard; fi
export TMPDIR="$T/tmp"
# The test's own environment, as podman gets it. RUNC_GUARD_CONFIG names a valid config whose runc is a
# second recorder: any runtime call that saw podman's environment shows up in $PODMAN_ENV_CALLS.
PODMAN_ENV_CALLS="$T/podman-env-calls.log"
export RUNC_GUARD_CONFIG="$T/podman-env-config.json" RG_PODMAN_SENTINEL=from-the-test

pm() { podman --root "$T/storage" --runroot "$T/runroot" --storage-driver vfs "$@"; }
RUN=(--cgroup-parent "$CGROUP_PARENT")
IMG=localhost/rg-podman-busybox:latest

on_exit stop_everything
# Containers of our private podman, then whatever runc still has in our private /run/runc, then every
# process left in our mount namespace that is not this script (conmon, podman cleanup, watchdogs).
stop_everything() {
  local ids id p
  ids=$(pm ps -aq 2>/dev/null) && [ -n "$ids" ] && pm rm -f -t 0 $ids >/dev/null 2>&1
  for id in $("$REAL_RUNC" list -q 2>/dev/null); do "$REAL_RUNC" delete --force "$id" >/dev/null 2>&1; done
  for p in $(namespace_leftovers); do kill -KILL "$p" 2>/dev/null; done
  for p in $(cgroup_procs); do kill -KILL "$p" 2>/dev/null; done
  return 0
}
# namespace_leftovers: processes in our mount namespace that are not this script or its children.
namespace_leftovers() {
  local p pp
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$(readlink "/proc/$p/ns/mnt" 2>/dev/null)" = "$MY_MNT_NS" ] || continue
    [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = Z ] && continue
    pp=$p
    while [ -n "$pp" ] && [ "$pp" -gt 1 ] && [ "$pp" != $$ ]; do pp=$(awk '{print $4}' "/proc/$pp/stat" 2>/dev/null); done
    [ "$pp" = $$ ] || echo "$p"
  done
  return 0
}
# cgroup_procs: every process in a cgroup below our cgroup parent (containers, conmon).
cgroup_procs() { cat /sys/fs/cgroup/pids"$CGROUP_PARENT"/*/cgroup.procs /sys/fs/cgroup/pids"$CGROUP_PARENT"/cgroup.procs 2>/dev/null || true; }

# --- helpers ----------------------------------------------------------------------------------------------
assert_eq() { [ "$1" == "$2" ] || fail "$3: expected $(printf '%q' "$1"), got $(printf '%q' "$2")"; }
assert_contains() { [[ "$1" == *"$2"* ]] || fail "$3: expected to contain $(printf '%q' "$2"), got $(printf '%q' "$1")"; }
# capture CMD...: OUT, ERR, RC of CMD without tripping set -e.
capture() {
  local rc=0
  "$@" >"$T/capture.out" 2>"$T/capture.err" </dev/null || rc=$?
  OUT=$(cat "$T/capture.out")
  ERR=$(cat "$T/capture.err")
  RC=$rc
}
capture_stdin() {  # capture_stdin TEXT CMD...: capture with TEXT on stdin
  local rc=0 text=$1
  shift
  "$@" >"$T/capture.out" 2>"$T/capture.err" <<<"$text" || rc=$?
  OUT=$(cat "$T/capture.out")
  ERR=$(cat "$T/capture.err")
  RC=$rc
}

# --- runc-guard's config, the recorder it forwards to, and the wrapper podman runs -------------------------
RG_CONFIG="$T/runc-guard.json"
RG_EVENTS="$T/events.jsonl"
RECORDER="$T/runc-recorder"
RECORDED="$T/runc-calls.log"
WRAPPER="$T/runc-guard-podman"
WRAPPER_ENV="$T/wrapper-env.log"
cat >"$RECORDER" <<EOF
#!/bin/sh
# runtime.path of runc-guard: records that runc-guard exec'd it (its RUNC_GUARD_ACTIVE marker) and the argv.
{ printf 'marker=%s' "\${RUNC_GUARD_ACTIVE:-unset}"; for a in "\$@"; do printf ' %s' "\$a"; done; printf '\n'; } >>'$RECORDED'
exec '$REAL_RUNC' "\$@"
EOF
cat >"$WRAPPER" <<EOF
#!/bin/sh
# podman's runtime for this test: records the environment podman gave it (one line per call: argv, then the
# variable names and values), then gives runc-guard the test's config.
{ printf 'argv:'; for a in "\$@"; do printf ' %s' "\$a"; done; printf '\n'; tr '\0' '\n' </proc/\$\$/environ | sed 's/^/env: /'; } >>'$WRAPPER_ENV'
RUNC_GUARD_CONFIG='$RG_CONFIG'
export RUNC_GUARD_CONFIG
exec '$GUARD' "\$@"
EOF
chmod 0755 "$RECORDER" "$WRAPPER"
write_rg_config() {
  jq -n --arg runc "$1" --arg events "$RG_EVENTS" --arg cache "$T/seccomp" --argjson g "$(cat "$RG_SOURCE/tests/data/patches-enforced.json")" \
    '{runtime: {path: $runc}, log: {events: $events}, seccomp: {cache_dir: $cache}, guards: $g}' >"$RG_CONFIG.new"
  chmod 0644 "$RG_CONFIG.new"
  mv -f "$RG_CONFIG.new" "$RG_CONFIG"
}
write_rg_config "$RECORDER"
: >"$RECORDED"
: >"$WRAPPER_ENV"
cat >"$T/runc-recorder-podman-env" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>'$PODMAN_ENV_CALLS'
exec '$REAL_RUNC' "\$@"
EOF
chmod 0755 "$T/runc-recorder-podman-env"
jq -n --arg runc "$T/runc-recorder-podman-env" --arg events "$T/podman-env-events.jsonl" --arg cache "$T/seccomp" \
  '{runtime: {path: $runc}, log: {events: $events}, seccomp: {cache_dir: $cache}}' >"$RUNC_GUARD_CONFIG"
chmod 0644 "$RUNC_GUARD_CONFIG"
: >"$PODMAN_ENV_CALLS"

# --- the image --------------------------------------------------------------------------------------------
ROOTFS="$T/rootfs"
mkdir -p "$ROOTFS/bin" "$ROOTFS/proc" "$ROOTFS/dev" "$ROOTFS/sys" "$ROOTFS/tmp" "$ROOTFS/etc"
cp "$(command -v busybox)" "$ROOTFS/bin/busybox"
for applet in $("$ROOTFS/bin/busybox" --list); do [ "$applet" = busybox ] || ln -sf busybox "$ROOTFS/bin/$applet"; done
tar -C "$ROOTFS" -cf "$T/rootfs.tar" .
pm import -q -c 'ENV PATH=/bin' "$T/rootfs.tar" "$IMG" >/dev/null || fail "podman import failed"
LIBPOD_PARENT_BEFORE=$([ -e /sys/fs/cgroup/memory/libpod_parent ] && echo yes || echo no)
log "podman $(pm version --format '{{.Client.Version}}'), conmon $(conmon --version | sed -n 's/^conmon version //p'), $("$REAL_RUNC" --version | head -1); image imported"

# --- 1. a drop-in podman cannot parse: refused with its position, nothing written -------------------------
mkdir "$ETC/containers.conf.d"
printf '[engine]\nruntime_supports_json = ["crun", "runc"\nevents_logger = "file"\n' >"$ETC/containers.conf.d/10-broken.conf"
capture pm info
[ "$RC" != 0 ] || fail "podman accepted the broken drop-in (the test's premise)"
PODMAN_PARSE_ERR=$ERR
capture "$GUARDCTL" install podman --binary "$WRAPPER" --state-dir "$T/state"
[ "$RC" = 1 ] || fail "install with a broken drop-in exited $RC: $OUT $ERR"
assert_contains "$ERR" "cannot parse /etc/containers/containers.conf.d/10-broken.conf:3:1: " "install's error for the drop-in podman rejects"
log "podman:    $PODMAN_PARSE_ERR"
log "installer: $ERR"
assert_contains "$ERR" "nothing was changed" "install's error for the drop-in podman rejects"
[ ! -e "$ETC/containers.conf.d/99-runc-guard.conf" ] && [ -z "$(ls -A "$T/state")" ] || fail "a refused install wrote something"
rm -r "$ETC/containers.conf.d"

# --- 2. install (default path, the wrapper as binary) -----------------------------------------------------
# The same wrapper under a name podman does not pass --log-format=json to: the reproduction in 4.
printf 'runc-guard-nojson = ["%s"]\n' "$WRAPPER" >>"$ETC/containers.conf"  # [engine.runtimes] is its last table
etc_snapshot() { (cd "$ETC" && find . -printf '%y %m %p\n' | sort && find . -type f -exec sha256sum {} + | sort); }
ETC_BEFORE=$(etc_snapshot)
capture "$GUARDCTL" install podman --binary "$WRAPPER" --state-dir "$T/state" --dry-run
[ "$RC" = 0 ] || fail "install --dry-run failed: $ERR"
assert_contains "$OUT" "+++ /etc/containers/containers.conf.d/99-runc-guard.conf (runc-guard)" "dry-run diff names podman's drop-in path"
assert_contains "$OUT" "+runc-guard = [ \"$WRAPPER\" ]" "dry-run diff"
[ ! -e "$ETC/containers.conf.d" ] && [ -z "$(ls -A "$T/state")" ] || fail "--dry-run wrote something"
capture "$GUARDCTL" install podman --binary "$WRAPPER" --state-dir "$T/state"
[ "$RC" = 0 ] || fail "install podman failed: $ERR"
assert_contains "$OUT" "RUNC_GUARD_CONFIG does not reach it" "install's note on the runtime environment"
DROPIN="$ETC/containers.conf.d/99-runc-guard.conf"
[ "$(stat -c '%a %u' "$DROPIN")" = "644 0" ] || fail "drop-in mode/owner: $(stat -c '%a %u' "$DROPIN")"
log "installed: $(grep -v '^#' "$DROPIN" | tr -s '\n' ' ')"
assert_eq "runc-guard|$WRAPPER" "$(pm --runtime runc-guard info --format '{{.Host.OCIRuntime.Name}}|{{.Host.OCIRuntime.Path}}')" "podman --runtime runc-guard info"
assert_eq "runc|$REAL_RUNC" "$(pm info --format '{{.Host.OCIRuntime.Name}}|{{.Host.OCIRuntime.Path}}')" "podman's default runtime without --as-default"
# podman info runs `RUNTIME --version` itself, with podman's own environment: the one call that gets it.
grep -q '^argv: --version$' "$WRAPPER_ENV" && grep -qx 'env: RG_PODMAN_SENTINEL=from-the-test' "$WRAPPER_ENV" ||
  fail "podman info's --version call: $(cat "$WRAPPER_ENV")"
: >"$WRAPPER_ENV"
: >"$RECORDED"

# --- 3. the transcript, through runc-guard and through runc ---------------------------------------------------
# step LABEL CMD...: runs CMD and appends its exit status, stdout and stderr to $TRANSCRIPT.
step() {
  local label=$1
  shift
  capture "$@"
  printf '== %s\nexit=%s\n--- stdout\n%s\n--- stderr\n%s\n' "$label" "$RC" "$OUT" "$ERR" >>"$TRANSCRIPT"
}
step_stdin() {
  local label=$1 text=$2
  shift 2
  capture_stdin "$text" "$@"
  printf '== %s\nexit=%s\n--- stdout\n%s\n--- stderr\n%s\n' "$label" "$RC" "$OUT" "$ERR" >>"$TRANSCRIPT"
}
# cgroup_file PID CONTROLLER FILE
cgroup_file() {
  local path
  path=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup")
  [ -n "$path" ] || fail "pid $1 has no $2 cgroup"
  echo "/sys/fs/cgroup/$2$path/$3"
}
# normalise RUNTIME: ids, and the runtime name podman puts in front of runtime errors.
normalise() {
  sed -E -e 's/[0-9a-f]{64}/<ID>/g' -e 's/\b[0-9a-f]{12}\b/<ID>/g' -e "s/^Error: $1: /Error: <RUNTIME>: /" \
    -e 's/time="[^"]*"/time="<TIME>"/g'
}

# transcript RUNTIME: the whole lifecycle through RUNTIME into $T/transcript.RUNTIME (normalised), with the
# assertions that make an identical-but-broken transcript fail too. Sets CTR_ID.
transcript() {
  local rt=$1 id pid freezer t0 t1 i
  TRANSCRIPT="$T/transcript.$rt.raw"
  : >"$TRANSCRIPT"

  step "run -d" pm run -d --name rg-c --runtime "$rt" "${RUN[@]}" "$IMG" sh -c 'trap "exit 0" TERM; echo started; sleep 1000 & wait'
  id=$OUT
  [[ "$RC:$id" =~ ^0:[0-9a-f]{64}$ ]] || fail "$rt: podman run -d: exit $RC, '$id', $ERR"
  CTR_ID=$id
  assert_eq "true|$rt" "$(pm inspect -f '{{.State.Running}}|{{.OCIRuntime}}' rg-c)" "$rt: running, and podman's runtime for it"
  for ((i = 0; i < 50; i++)); do [ "$(pm logs rg-c 2>&1)" = started ] && break; sleep 0.1; done
  step "logs" pm logs rg-c
  assert_eq "started" "$OUT" "$rt: container stdout (podman logs)"
  pid=$(pm inspect -f '{{.State.Pid}}' rg-c)

  step "exec" pm exec rg-c sh -c 'echo exec-out; echo exec-err >&2; exit 3'
  assert_eq "3:exec-out:exec-err" "$RC:$OUT:$ERR" "$rt: podman exec exit:stdout:stderr"
  step_stdin "exec -i" exec-in pm exec -i rg-c cat
  assert_eq "0:exec-in" "$RC:$OUT" "$rt: podman exec -i"
  step "exec -t" pm exec -t rg-c sh -c 'tty; echo tty-ok'
  [[ "$OUT" =~ ^/dev/pts/[0-9]+$'\r\n'tty-ok$'\r'$ ]] || fail "$rt: podman exec -t: expected a pts and tty-ok with CRLF, got $(printf '%q' "$OUT") $ERR"
  step "exec nonexistent" pm exec rg-c /nonexistent/binary
  assert_eq 127 "$RC" "$rt: exit status of exec of a nonexistent binary"
  assert_contains "$ERR" '/nonexistent/binary' "$rt: podman exec of a nonexistent binary"

  freezer=$(cgroup_file "$pid" freezer freezer.state)
  step "pause" pm pause rg-c
  assert_eq "0:FROZEN:paused" "$RC:$(cat "$freezer"):$(pm inspect -f '{{.State.Status}}' rg-c)" "$rt: pause: exit:freezer:status"
  step "exec while paused" pm exec rg-c true
  [ "$RC" != 0 ] || fail "$rt: exec into a paused container succeeded"
  step "unpause" pm unpause rg-c
  assert_eq "0:THAWED:running" "$RC:$(cat "$freezer"):$(pm inspect -f '{{.State.Status}}' rg-c)" "$rt: unpause: exit:freezer:status"

  # podman top reads /proc itself (no runtime call); pids are left out, runc init's threads take some.
  step "top" pm top rg-c user args
  assert_eq 0 "$RC" "$rt: podman top ($ERR)"
  assert_contains "$OUT" 'sh -c trap "exit 0" TERM; echo started; sleep 1000 & wait' "$rt: podman top"
  assert_contains "$OUT" 'sleep 1000' "$rt: podman top"

  step "update" pm update --memory 64m --memory-swap 128m rg-c
  assert_eq "0:$id" "$RC:$OUT" "$rt: podman update ($ERR)"
  assert_eq 67108864 "$(cat "$(cgroup_file "$pid" memory memory.limit_in_bytes)")" "$rt: memory.limit_in_bytes after podman update"
  assert_eq 134217728 "$(cat "$(cgroup_file "$pid" memory memory.memsw.limit_in_bytes)")" "$rt: memory.memsw.limit_in_bytes after podman update"

  t0=$SECONDS
  step "stop" pm stop -t 20 rg-c
  t1=$SECONDS
  assert_eq "0:rg-c" "$RC:$OUT" "$rt: podman stop ($ERR)"
  assert_eq "exited|0" "$(pm inspect -f '{{.State.Status}}|{{.State.ExitCode}}' rg-c)" "$rt: status and exit code after stop"
  [ $((t1 - t0)) -lt 10 ] || fail "$rt: podman stop took $((t1 - t0))s: SIGTERM did not reach the container"
  step "rm" pm rm rg-c
  assert_eq "0:rg-c" "$RC:$OUT" "$rt: podman rm ($ERR)"
  capture pm inspect rg-c
  [ "$RC" != 0 ] || fail "$rt: container still exists after podman rm"
  [ ! -e "/run/runc/$id" ] || fail "$rt: runc state /run/runc/$id left behind after podman rm"

  # Failing creates: podman maps runc's "not found" to 127 and "permission denied" to 126.
  step "run nonexistent" pm run --name rg-f --runtime "$rt" "${RUN[@]}" "$IMG" /nonexistent
  assert_eq 127 "$RC" "$rt: exit status of a nonexistent command"
  assert_contains "$ERR" 'runc create failed: unable to start container process: exec: "/nonexistent": stat /nonexistent: no such file or directory' "$rt: error of a nonexistent command"
  [[ "$ERR" != *'level=error'* ]] || fail "$rt: runc's error reached the user as raw log text: $ERR"
  pm rm rg-f >/dev/null
  step "run directory" pm run --rm --runtime "$rt" "${RUN[@]}" "$IMG" /bin
  assert_eq 126 "$RC" "$rt: exit status of a command that cannot be executed"
  assert_contains "$ERR" 'exec: "/bin": permission denied' "$rt: error of a command that cannot be executed"

  step "no-new-privileges" pm run --rm --runtime "$rt" "${RUN[@]}" --security-opt no-new-privileges "$IMG" grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status
  assert_eq "0:NoNewPrivs:	1
Seccomp:	2" "$RC:$OUT" "$rt: no-new-privileges and podman's seccomp filter in the container"
  step_stdin "run -i" piped-in pm run --rm -i --runtime "$rt" "${RUN[@]}" "$IMG" cat
  assert_eq "0:piped-in" "$RC:$OUT" "$rt: podman run -i with stdin"
  step "run (foreground)" pm run --rm --runtime "$rt" "${RUN[@]}" "$IMG" sh -c 'echo run-out; echo run-err >&2; exit 7'
  assert_eq "7:run-out:run-err" "$RC:$OUT:$ERR" "$rt: podman run exit:stdout:stderr"

  normalise "$rt" <"$TRANSCRIPT" >"$T/transcript.$rt"
}

log "transcript through --runtime runc-guard"
transcript runc-guard
GUARD_ID=$CTR_ID
cp "$RECORDED" "$T/recorded.guard"
cp "$WRAPPER_ENV" "$T/wrapper-env.guard"
log "transcript through --runtime runc"
: >"$RECORDED"
: >"$WRAPPER_ENV"
transcript runc
RUNC_ID=$CTR_ID
[ ! -s "$RECORDED" ] && [ ! -s "$WRAPPER_ENV" ] || fail "--runtime runc went through runc-guard: $(head -3 "$RECORDED" "$WRAPPER_ENV")"
diff -u "$T/transcript.runc" "$T/transcript.runc-guard" >"$T/transcript.diff" ||
  fail "podman's output through runc-guard differs from runc's (normalised; - runc, + runc-guard):
$(cat "$T/transcript.diff")"
log "transcripts identical ($(grep -c '^== ' "$T/transcript.runc") steps)"

# Every runc call for the runc-guard container went through runc-guard (its marker), in this order of
# first use, with podman's --log-format=json and --log on the calls conmon makes (create, exec).
grep -F -- "$GUARD_ID" "$T/recorded.guard" >"$T/recorded.id" || fail "no runc call for $GUARD_ID went through runc-guard"
grep -Ev '^marker=[0-9]+\.1 ' "$T/recorded.id" >&2 && fail "runc calls for $GUARD_ID without runc-guard's marker (above)"
commands=$(awk '{ for (i = 2; i <= NF; i++) { if ($i ~ /^--(root|log|log-format)$/) { i++; continue } if ($i ~ /^-/) continue; print $i; break } }' "$T/recorded.id" | awk '!s[$0]++' | tr '\n' ' ')
assert_eq "create start exec pause resume update kill delete " "$commands" "runc commands (first use, in order) for the runc-guard container"
grep -Eq "^marker=[0-9]+\.1 --log-format=json --log [^ ]*/oci-log create .*$GUARD_ID\$" "$T/recorded.id" ||
  fail "runc-guard's create did not reach runc with podman's --log-format=json --log: $(grep ' create ' "$T/recorded.id")"
grep -Eq "^marker=[0-9]+\.1 --log-format=json --log [^ ]*/oci-log exec " "$T/recorded.id" ||
  fail "exec without --log-format=json: $(grep ' exec ' "$T/recorded.id" | head -2)"
! grep -qF -- "$RUNC_ID" "$T/recorded.guard" || fail "the --runtime runc container went through runc-guard"

# The environment podman gives its runtime is never its own (no sentinel, no RUNC_GUARD_CONFIG): conmon's
# calls (create, exec) get conmon's, podman's own calls (start, kill, pause, ...) PATH and XDG_RUNTIME_DIR
# at most.
grep -E '^env: (RG_PODMAN_SENTINEL|RUNC_GUARD_CONFIG)=' "$T/wrapper-env.guard" >&2 &&
  fail "podman's own environment reached the runtime (above)"
env_names() {  # env_names COMMAND: the variable names the wrapper got on its first call of COMMAND
  awk -v c=" $1 " '/^argv:/ { want = (index($0 " ", c) > 0 && !seen++); next } want && /^env: / { sub(/^env: /, ""); sub(/=.*/, ""); print }' \
    "$T/wrapper-env.guard" | sort | tr '\n' ' '
}
for c in create start exec pause update kill delete; do log "podman's environment for runc $c: $(env_names "$c")"; done
assert_eq "HOME PATH XDG_RUNTIME_DIR _CONTAINERS_ROOTLESS_UID _CONTAINERS_USERNS_CONFIGURED _OCI_STARTPIPE _OCI_SYNCPIPE " \
  "$(env_names create)" "environment of runc create (through conmon)"
assert_eq "XDG_RUNTIME_DIR " "$(env_names kill)" "environment of runc kill (podman itself)"
assert_eq "" "$(cat "$PODMAN_ENV_CALLS")" "runtime calls that saw podman's environment"

# --- 4. the reproduction: a runtime name podman does not pass --log-format=json to ------------------------
log "the same runtime registered as runc-guard-nojson (not in runtime_supports_json)"
JSON_ERR=$(awk '/^== run nonexistent$/ { f = 1 } f && /^--- stderr$/ { getline; print; exit }' "$T/transcript.runc-guard.raw")
: >"$RECORDED"
capture pm run --name rg-nojson --runtime runc-guard-nojson "${RUN[@]}" "$IMG" /nonexistent
pm rm rg-nojson >/dev/null
assert_eq 127 "$RC" "exit status through runc-guard-nojson"
NOJSON_ERR=$ERR
assert_contains "$NOJSON_ERR" 'level=error msg="runc create failed: unable to start container process: exec: \"/nonexistent\": stat /nonexistent: no such file or directory"' \
  "runc's error through a name not in runtime_supports_json"
[[ "$NOJSON_ERR" =~ time=\"[0-9T:-]+Z\" ]] || fail "no logrus timestamp in the raw error: $NOJSON_ERR"
grep -Eq '^marker=[0-9]+\.1 create --bundle ' "$RECORDED" || fail "runc-guard-nojson's create: $(cat "$RECORDED")"
! grep -q -- '--log' "$RECORDED" || fail "podman passed --log/--log-format to runc-guard-nojson: $(cat "$RECORDED")"
log "through runc-guard:        $JSON_ERR"
log "through runc-guard-nojson: $NOJSON_ERR"

# runc-guard's own refusal (its config became group/other-writable). podman reports the create's error from
# the --log file: a message through runc-guard, raw logrus text through the name podman does not pass
# --log-format=json to. (The `delete --force` podman runs next has no --log, so runc-guard's refusal of it
# reaches stderr as a logrus line either way — as runc's own errors on podman's direct calls do.)
chmod 0666 "$RG_CONFIG"
capture pm run --name rg-refused --runtime runc-guard "${RUN[@]}" "$IMG" true
REFUSED_RC=$RC REFUSED_ERR=$(grep '^Error: ' <<<"$ERR" || true)
capture pm run --name rg-refused-nojson --runtime runc-guard-nojson "${RUN[@]}" "$IMG" true
chmod 0644 "$RG_CONFIG"
pm rm -f rg-refused rg-refused-nojson >/dev/null
REFUSED_NOJSON_ERR=$(grep '^Error: ' <<<"$ERR" || true)
assert_eq "126:126" "$REFUSED_RC:$RC" "exit status of a create runc-guard refuses"
assert_eq "Error: OCI runtime error: runc-guard: runc-guard: config $RG_CONFIG is writable by group or others (mode 0666); refusing to use it" \
  "$REFUSED_ERR" "runc-guard's refusal through podman"
[[ "$REFUSED_NOJSON_ERR" =~ ^Error:\ OCI\ runtime\ error:\ runc-guard-nojson:\ time=\"[0-9T:-]+Z\"\ level=error\ msg=\"runc-guard:\ config\ $RG_CONFIG\ is\ writable ]] ||
  fail "runc-guard's refusal through runc-guard-nojson is not the raw logrus line: $REFUSED_NOJSON_ERR"
log "refusal through runc-guard:        $REFUSED_ERR"
log "refusal through runc-guard-nojson: $REFUSED_NOJSON_ERR"

# --- 5. the real binary as podman's default runtime, with runc-guard's default config -----------------------
log "uninstall; install --as-default --binary $GUARD"
assert_eq "" "$(pm ps -aq)" "containers left before uninstall"
capture "$GUARDCTL" uninstall podman --state-dir "$T/state"
[ "$RC" = 0 ] || fail "uninstall podman failed: $ERR"
[ ! -e "$DROPIN" ] || fail "uninstall left $DROPIN"
assert_contains "$OUT" "drops them from its database" "uninstall's warning about containers of the runtime"
capture pm --runtime runc-guard info
[ "$RC" != 0 ] || fail "podman still knows runtime runc-guard after uninstall"
capture "$GUARDCTL" install podman --as-default --binary "$GUARD" --state-dir "$T/state"
[ "$RC" = 0 ] || fail "install podman --as-default failed: $ERR"
assert_contains "$OUT" 'engine.runtime was "runc" (/etc/containers/containers.conf); uninstall restores it' "install --as-default's note"
assert_eq "runc-guard|$GUARD" "$(pm info --format '{{.Host.OCIRuntime.Name}}|{{.Host.OCIRuntime.Path}}')" "podman info with runc-guard as default"
# podman runs `--version` itself, with its own environment (the one runtime call that gets it).
assert_eq "$("$REAL_RUNC" --version)
runc-guard: $("$GUARD" --version | sed -n 's/^runc-guard: //p')" "$(pm info --format '{{.Host.OCIRuntime.Version}}')" "podman info's runtime version"
assert_contains "$(cat "$PODMAN_ENV_CALLS")" "--version" "podman info ran runc-guard --version with podman's environment"
: >"$PODMAN_ENV_CALLS"
# doctor sees the registration at podman's default drop-in path.
doctor_podman() {
  "$GUARDCTL" doctor --json --config "$RG_CONFIG" --state-dir "$T/state" >"$T/doctor.json" || true
  jq -S -c '.checks[] | select(.id == "runc_guard.engines") | .data.engines[] | select(.engine == "podman")' "$T/doctor.json"
}
sorted() { jq -S -c . <<<"$1"; }
assert_eq "$(sorted '{"engine":"podman","config":"/etc/containers/containers.conf.d/99-runc-guard.conf","registered":true,"by":"runc-guardctl","runtime":"runc-guard","binary":"'"$GUARD"'","default":true}')" \
  "$(doctor_podman)" "doctor's podman registration"
# The only default-path state with a config of its own: the runc --version cache and the first stage's
# pass-through cache (neither has a config key; the latter is keyed by the config's path).
[ -z "$(ls -A /run/runc-guard 2>/dev/null | grep -vxE 'runc-version|passthrough')" ] && [ ! -e /var/log/runc-guard ] ||
  fail "runc-guard state in the private /run or /var/log before the default-config phase: $(ls -R /run/runc-guard /var/log/runc-guard 2>&1)"
pm run -d --name rg-default "${RUN[@]}" "$IMG" sh -c 'trap "exit 0" TERM; sleep 1000 & wait' >/dev/null
assert_eq "runc-guard" "$(pm inspect -f '{{.OCIRuntime}}' rg-default)" "runtime of a container created without --runtime"
assert_eq "default-exec" "$(pm exec rg-default echo default-exec)" "podman exec (runc-guard as default)"
capture pm exec -t rg-default echo default-tty
assert_eq "default-tty"$'\r' "$OUT" "podman exec -t (runc-guard as default)"
assert_eq "default-run" "$(pm run --rm "${RUN[@]}" "$IMG" echo default-run)" "podman run (runc-guard as default)"
pm stop -t 20 rg-default >/dev/null
pm rm rg-default >/dev/null
assert_eq "" "$(cat "$PODMAN_ENV_CALLS")" "container calls that saw podman's environment (runc-guard as default)"
# No RUNC_GUARD_CONFIG reached runc-guard, so it ran on /etc/runc-guard/config.json's defaults: runc 1.1.5 is
# open to CVE-2024-21626, its virtual patch is on by default and refuses a process.cwd in /proc/self/fd, and
# the refusal lands in the default event log, (the private) /var/log/runc-guard/events.jsonl.
capture pm run --rm "${RUN[@]}" -w /proc/self/fd/7 "$IMG" true
[ "$RC" != 0 ] || fail "podman run -w /proc/self/fd/7 through runc-guard with its default config succeeded"
assert_contains "$ERR" "CVE-2024-21626" "podman's error for -w /proc/self/fd/7 (runc-guard as default)"
jq -e -s 'any(.[]; .event == "patch.refused")' /var/log/runc-guard/events.jsonl >/dev/null 2>&1 ||
  fail "no patch.refused in runc-guard's default event log (did runc-guard run with its default config?): $(find /run/runc-guard /var/log/runc-guard 2>&1)"
log "default config: $(find /run/runc-guard /var/log/runc-guard -type f 2>/dev/null | tr '\n' ' ')"
capture "$GUARDCTL" uninstall podman --state-dir "$T/state"
[ "$RC" = 0 ] || fail "uninstall after --as-default failed: $ERR"
[ ! -e "$DROPIN" ] && [ -z "$(find "$T/state" -type f)" ] || fail "uninstall left the drop-in or install state: $(find "$T/state" -type f)"
assert_eq "runc|$REAL_RUNC" "$(pm info --format '{{.Host.OCIRuntime.Name}}|{{.Host.OCIRuntime.Path}}')" "podman's default runtime after uninstall"
# /etc/containers as before install, the drop-in directory install created included.
assert_eq "$ETC_BEFORE" "$(etc_snapshot)" "/etc/containers after uninstall"
# What is left is a registration by hand: runc-guard-nojson in the main containers.conf.
assert_eq "$(sorted '{"engine":"podman","config":"/etc/containers/containers.conf","registered":true,"by":"hand"}')" \
  "$(doctor_podman)" "doctor's podman entry for the registration by hand"

# --- 6. nothing left behind -------------------------------------------------------------------------------
# runc-guard logs decisions only: with runc 1.1.5 on this kernel, healthy containers may log nothing.
if [ -e "$RG_EVENTS" ]; then
  jq -s -e . "$RG_EVENTS" >/dev/null 2>&1 || fail "event log $RG_EVENTS is not JSON lines"
  bad=$(jq -c 'select(.event | test("^(guard\\.failed|spec\\.flush_failed|watchdog\\.failed|seccomp\\.cache_error|init\\..*)$"))' "$RG_EVENTS")
  [ -z "$bad" ] || fail "runc-guard reported failures or acted on healthy containers: $bad"
fi
log "event log: $([ -s "$RG_EVENTS" ] && jq -r .event "$RG_EVENTS" | sort | uniq -c | awk '{printf "%s×%s ", $2, $1}' || echo '(empty)')"
for ((i = 0; i < 50; i++)); do
  [ -z "$(namespace_leftovers)$(cgroup_procs)" ] && break
  sleep 0.1
done
left=$(namespace_leftovers)
[ -z "$left" ] || fail "processes left behind (conmon, watchdog, ...): $(for p in $left; do tr '\0' ' ' <"/proc/$p/cmdline"; echo " (pid $p)"; done)"
[ -z "$(cgroup_procs)" ] || fail "processes left in $CGROUP_PARENT: $(cgroup_procs)"
[ -z "$("$REAL_RUNC" list -q)" ] || fail "runc still has containers: $("$REAL_RUNC" list)"
if [ "$LIBPOD_PARENT_BEFORE" = no ] && [ -e /sys/fs/cgroup/memory/libpod_parent ]; then
  fail "a container was created outside the test's cgroup parent (libpod_parent appeared)"
fi
log "PASS"
