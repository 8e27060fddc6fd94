# Shared helpers for the shell test tiers (sourced). Every test runs as root against the real runc.
set -euo pipefail

RG_BUILD=$(cd "${RG_BUILD:?RG_BUILD must point at the build directory}" && pwd)
RG_SOURCE=${RG_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
GUARD="$RG_BUILD/runc-guard"
GUARDCTL="$RG_BUILD/runc-guardctl"
SHARED="$RG_SOURCE/../shared"
SHARED_TESTDATA="$SHARED/testdata/docker-20.10"
REAL_RUNC=${REAL_RUNC:-/usr/bin/runc}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

need() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || fail "required tool '$tool' is not installed (tests/run.sh installs it)"
  done
}

[ "$(id -u)" = 0 ] || fail "these tests drive real runc and need root"
[ -x "$GUARD" ] || fail "$GUARD not built"
[ -x "$REAL_RUNC" ] || fail "real runc not found at $REAL_RUNC (apt-get install runc)"
need jq busybox

# make_workdir VAR: a temp dir removed on exit (with everything registered through on_exit).
RG_EXIT_HOOKS=()
on_exit() { RG_EXIT_HOOKS+=("$*"); }
run_exit_hooks() {
  local _rg_hook  # a name no hook uses (a hook's own loop variable would move this loop)
  for ((_rg_hook = ${#RG_EXIT_HOOKS[@]} - 1; _rg_hook >= 0; _rg_hook--)); do eval "${RG_EXIT_HOOKS[$_rg_hook]}" || true; done
}
trap run_exit_hooks EXIT

# Called as `make_workdir VAR` (not in a $(…) subshell, whose exit hook would be lost with it). The removal
# stays on this filesystem: a mount a failed test left inside is never descended into.
make_workdir() {
  local dir
  dir=$(mktemp -d /tmp/rg-test.XXXXXX)
  chmod 0755 "$dir"
  on_exit "rm -rf --one-file-system '$dir'"
  printf -v "$1" '%s' "$dir"
}

# make_rootfs DIR: a busybox root filesystem (busybox-static) with every applet linked.
make_rootfs() {
  local rootfs=$1 applet
  mkdir -p "$rootfs/bin" "$rootfs/proc" "$rootfs/dev" "$rootfs/sys" "$rootfs/tmp" "$rootfs/etc"
  cp "$(command -v busybox)" "$rootfs/bin/busybox"
  for applet in $("$rootfs/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
  done
}

# make_bundle DIR ARGS...: a runc bundle running ARGS (no terminal) over a shared busybox rootfs.
make_bundle() {
  local bundle=$1
  shift
  mkdir -p "$bundle"
  [ -d "$bundle/rootfs" ] || make_rootfs "$bundle/rootfs"
  (cd "$bundle" && rm -f config.json && "$REAL_RUNC" spec)
  local args
  args=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
  jq --argjson args "$args" '.process.terminal = false | .process.args = $args' "$bundle/config.json" >"$bundle/config.json.new"
  mv "$bundle/config.json.new" "$bundle/config.json"
}

# write_config FILE JSON: a runc-guard config (root-owned, 0644 as the runtime requires).
write_config() {
  printf '%s\n' "$2" >"$1"
  chmod 0644 "$1"
}

# cleanup_container ROOT ID: force-delete a container if it exists.
cleanup_container() {
  "$REAL_RUNC" --root "$1" delete --force "$2" >/dev/null 2>&1 || true
}

# process_alive PID: it exists and is not a zombie (this machine's pid 1 reaps orphans late).
process_alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# Watchdogs started by this test (found by our config path in their environment), zombies excluded.
our_watchdogs() {
  local p
  for p in $(pgrep -x rg-watchdog || true); do
    [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = Z ] && continue
    tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | grep -qx "RUNC_GUARD_CONFIG=$RUNC_GUARD_CONFIG" && echo "$p"
  done
  return 0
}

# expect_no_watchdog_within SECONDS [CONTEXT]: every watchdog of ours has ended by then.
expect_no_watchdog_within() {
  local deadline=$((SECONDS + $1))
  while [ -n "$(our_watchdogs)" ]; do
    [ $SECONDS -lt $deadline ] ||
      fail "${2:+$2: }a watchdog outlived its watch: $(our_watchdogs | xargs -r ps -o pid,etime,args -p)"
    sleep 0.05
  done
}

note() { echo "--- $*"; }

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
  [[ "$1" == "$2" ]] || fail "$3: expected [$2], got [$1]"
}

# events_named NAME: the lines of the event log $EVENTS whose event is NAME.
events_named() { [ -f "$EVENTS" ] && jq -c --arg e "$1" 'select(.event == $e)' "$EVENTS" || true; }

# ---- kernel-memory tests: a recording fake runc (tests/helpers/fake_runc_cgroup_probe.cpp) in $T ----

# fake_probe_runc VERSION → path of a private copy that reports VERSION (the copy has its own inode, so
# runc-guard's version cache, keyed by binary identity, sees a different binary per version).
fake_probe_runc() {
  local path="$T/runc-$1"
  if [[ ! -x "$path" ]]; then
    cp "$RG_BUILD/tests/fake_runc_cgroup_probe" "$path"
    chmod 0755 "$path"
    echo "$1" >"$path.version"
  fi
  echo "$path"
}

# kmem_config RUNC_PATH [JQ_FILTER] → $T/config.json on a kernel reported as 3.10 (root-owned, 0644).
kmem_config() {
  local filter="${2:-.}"
  jq -n --arg runc "$1" --arg events "$T/events.jsonl" \
    '{runtime: {path: $runc}, log: {events: $events}, watchdog: {enabled: false},
      kernel_memory: {kernel_release: "3.10.0-1160.el7.x86_64"}}' | jq "$filter" >"$T/config.json"
  chmod 0644 "$T/config.json"
}

# kmem_guard ARGS...: runc-guard with $T/config.json; the fake runc appends what it saw to $T/record.jsonl.
kmem_guard() { RUNC_GUARD_CONFIG="$T/config.json" FAKE_RUNC_RECORD="$T/record.jsonl" "$GUARD" "$@"; }

last_record() { [[ -s "$T/record.jsonl" ]] || fail "the fake runc never ran"; tail -n 1 "$T/record.jsonl"; }
reset_records() { rm -f "$T/record.jsonl" "$T/events.jsonl" "$T/log.json"; }

# ---- /proc/sys/fs/pipe-user-pages-soft (global: tests that change it take one lock, machine-wide) ----
PIPE_SOFT=/proc/sys/fs/pipe-user-pages-soft
PIPE_SOFT_LOCK=/run/lock/runc-guard-tests-pipe-user-pages-soft.lock
PIPE_SOFT_DEFAULT=16384  # the kernel's default

# set_pipe_soft_limit VALUE: sets the limit for the rest of the test (again with VALUE, or back with
# restore_pipe_soft_limit), restoring the value found on every exit path. Holds an exclusive flock on
# $PIPE_SOFT_LOCK until the test exits (waits up to 10 min for another test holding it), so two tests
# never change or restore it under each other.
set_pipe_soft_limit() {
  [ -w "$PIPE_SOFT" ] || fail "$PIPE_SOFT is not writable"
  if [ -z "${PIPE_SOFT_ORIGINAL:-}" ]; then
    exec {PIPE_SOFT_LOCK_FD}>>"$PIPE_SOFT_LOCK"
    flock -w 600 "$PIPE_SOFT_LOCK_FD" || fail "another test has held $PIPE_SOFT_LOCK for 10 minutes"
    PIPE_SOFT_ORIGINAL=$(cat "$PIPE_SOFT")
    on_exit restore_pipe_soft_limit
  fi
  echo "$1" >"$PIPE_SOFT"
}
restore_pipe_soft_limit() { [ -z "${PIPE_SOFT_ORIGINAL:-}" ] || echo "$PIPE_SOFT_ORIGINAL" >"$PIPE_SOFT"; }

# Every virtual patch enforced whatever the runc release: transparency tests must never trip one.
RG_PATCHES_ENFORCED=$(cat "$RG_SOURCE/tests/data/patches-enforced.json")

# ---- real runc releases (../shared/runtimes, unpacked into the build tree by tests/runtimes/unpack.sh) ----
RG_RUNTIMES=${RG_RUNTIMES:-$RG_BUILD/runtimes}
RUNC_RELEASES=(v1.0.0-rc10 v1.0.0-rc92 v1.0.0-rc93 v1.0.0-rc94 v1.0.0-rc95 v1.0.0 v1.0.3 v1.1.0 v1.1.12 v1.1.15)

# runc_release VERSION → path of that real runc release (e.g. v1.0.0-rc93); fails with the reason if missing.
runc_release() {
  local path="$RG_RUNTIMES/runc-$1"
  [ -x "$path" ] || fail "real runc $1 not found at $path: ../shared/runtimes must sit beside the checkout (unpacked by the build's 'runtimes' target)"
  echo "$path"
}
# crictl_binary → path of crictl v1.26.1 from ../shared/runtimes.
crictl_binary() {
  local path="$RG_RUNTIMES/crictl-v1.26.1"
  [ -x "$path" ] || fail "crictl not found at $path: ../shared/runtimes must sit beside the checkout"
  echo "$path"
}

# ---- what a test left behind: processes (found by their environment) and cgroup directories ----

# processes_with_env PREFIX...: "pid comm" of every live process (zombies, keepers and this shell excluded) with an
# environment line starting with one of PREFIX. RUNC_GUARD_CONFIG=<config> finds runc-guard, the runc it
# became and its watchdogs; _LIBCONTAINER_STATEDIR=<root>/ finds every runc init of a state root (runc
# gives init no other environment). Bash builtins only: cheap enough to call after every iteration.
processes_with_env() {
  local dir pid stat comm line prefix
  local -a env
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    [[ $pid != "$$" && $pid != "$BASHPID" ]] || continue
    { mapfile -d '' -t env <"$dir/environ" && read -r stat <"$dir/stat" && read -r comm <"$dir/comm"; } 2>/dev/null || continue
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]] || continue
    [[ $comm != rg-keeper ]] || continue  # the keeper outlives calls by design (shim/keeper/keeper.h)
    for line in "${env[@]}"; do
      for prefix in "$@"; do
        if [[ $line == "$prefix"* ]]; then
          echo "$pid $comm"
          continue 3
        fi
      done
    done
  done
}
# kill_and_delete_all WORK CGROUP_PARENT RUNC:ROOT...: kill -9 every process of a test (its config or state
# under WORK), delete --force every container left in each ROOT with its RUNC, remove the test's cgroup parent.
kill_and_delete_all() {
  local work=$1 cg=$2 pair pid c runc root
  shift 2
  for pid in $(processes_with_env "RUNC_GUARD_CONFIG=$work/" "_LIBCONTAINER_STATEDIR=$work/" | cut -d' ' -f1); do
    kill -9 "$pid" 2>/dev/null || true
  done
  for pair in "$@"; do
    runc=${pair%%:*} root=${pair#*:}
    for c in "$root"/*/; do [ -d "$c" ] && "$runc" --root "$root" delete --force "$(basename "$c")" >/dev/null 2>&1; done
  done
  remove_cgroup_parent "$cg"
}

# cgroup_leftovers PARENT: every directory below PARENT (a cgroupsPath parent such as /rg-soak-123) in every
# cgroup hierarchy mounted under /sys/fs/cgroup, and every process still in one of them.
cgroup_leftovers() {
  local d
  for d in /sys/fs/cgroup/*/"${1#/}"; do
    [ -d "$d" ] || continue
    find "$d" -mindepth 1 -type d
    find "$d" -name cgroup.procs -exec awk -v f={} '{print f ": pid " $0}' {} \;
  done
}

# remove_cgroup_parent PARENT: rmdir PARENT's directories (deepest first) in every hierarchy (for on_exit).
remove_cgroup_parent() {
  local d
  for d in /sys/fs/cgroup/*/"${1#/}"; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  return 0
}
