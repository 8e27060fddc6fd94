# End-to-end helpers (sourced): a private containerd + dockerd that never touch the system daemons.
#
# Everything lives under one temp dir $E2E (sockets, data-root, exec-root, containerd root/state, logs,
# the runc-guard config and event log). containerd is started by us with its own config and its own
# socket, and dockerd is pointed at it with --containerd, so a system containerd at
# /run/containerd/containerd.sock is never used. RUNC_GUARD_CONFIG is exported into both daemons'
# environments; containerd-shim-runc-v2 inherits containerd's and hands it to runc-guard.
#
# Knobs: E2E_STORAGE_DRIVER (default vfs: the image is one busybox, copies are cheap and nothing needs
# overlay support), REAL_RUNC (default /usr/bin/runc).
#
# Every exit path (trap on EXIT/INT/TERM) removes containers and images, stops the daemons we started
# (by pid), kills shims belonging to our containerd (by pid), unmounts what is left under $E2E and
# removes it.
set -euo pipefail
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  # ctest globs tests/e2e/*.sh; this file is the tests' library, not a test.
  echo "FAIL: tests/e2e/lib.sh is sourced by the e2e tests and is not a test itself; exclude it from the e2e glob in tests/CMakeLists.txt" >&2
  exit 1
fi

RG_BUILD=${RG_BUILD:?RG_BUILD must point at the build directory holding runc-guard}
RG_SOURCE=${RG_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
GUARD="$RG_BUILD/runc-guard"
REAL_RUNC=${REAL_RUNC:-/usr/bin/runc}
E2E_STORAGE_DRIVER=${E2E_STORAGE_DRIVER:-vfs}
E2E_IMAGE=rg-e2e-busybox:latest

E2E_T0=${EPOCHREALTIME/./}
log() {
  local us=$((${EPOCHREALTIME/./} - E2E_T0))
  printf '[%4d.%01ds] %s\n' $((us / 1000000)) $((us / 100000 % 10)) "$*" >&2
}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# --- cleanup stack ----------------------------------------------------------------------------------------
E2E_EXIT_HOOKS=()
on_exit() { E2E_EXIT_HOOKS+=("$*"); }
e2e_run_exit_hooks() {
  local status=$? i
  trap - EXIT INT TERM
  set +e
  for ((i = ${#E2E_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do eval "${E2E_EXIT_HOOKS[$i]}"; done
  exit "$status"
}
trap e2e_run_exit_hooks EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- preconditions ----------------------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || fail "end-to-end tests start dockerd and containerd and need root"
for tool in dockerd docker containerd containerd-shim-runc-v2 ctr jq busybox; do
  command -v "$tool" >/dev/null || fail "required tool '$tool' is not installed (apt-get install docker.io containerd jq busybox-static)"
done
[ -x "$GUARD" ] || fail "$GUARD not built (cmake --build $RG_BUILD --target runc-guard)"
[ -x "$REAL_RUNC" ] || fail "real runc not found at $REAL_RUNC (apt-get install runc)"

# Directories the daemons create at fixed paths whatever their flags (dockerd's plugin discovery dir,
# containerd-shim's socket dir): removed again if they did not exist before and are empty.
E2E_FIXED_DIRS=()
for d in /run/containerd /run/containerd/s /run/docker /run/docker/plugins; do
  [ -e "$d" ] || E2E_FIXED_DIRS=("$d" "${E2E_FIXED_DIRS[@]}")
done
on_exit 'for d in "${E2E_FIXED_DIRS[@]}"; do rmdir "$d" 2>/dev/null; done; true'

E2E=$(mktemp -d /tmp/rg-e2e.XXXXXX)
chmod 0755 "$E2E"
on_exit e2e_remove_tree
e2e_remove_tree() {
  local mnt cg
  # The --cgroup-parent dirs runc created for our containers (empty once the containers are gone).
  for cg in /sys/fs/cgroup/*/"$(basename "$E2E")"; do
    [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  # Unmount anything still mounted below $E2E (deepest first) so rm never crosses into a mount.
  while read -r mnt; do umount -l "$mnt" 2>/dev/null; done < <(awk -v p="$E2E/" 'index($5, p) == 1 {print $5}' /proc/self/mountinfo | sort -r)
  rm -rf --one-file-system "$E2E"
}

export DOCKER_HOST="unix://$E2E/docker.sock"
export DOCKER_CONFIG="$E2E/docker-cli"
CTRD_SOCK="$E2E/containerd.sock"
CTRD_STATE="$E2E/containerd/state"
CTRD_ROOT="$E2E/containerd/root"
# runc's --root for dockerd-created containers (dockerd passes <exec-root>/runtime-<name>/moby as shim option)
export RUNC_GUARD_CONFIG="$E2E/runc-guard.json"
RG_EVENTS="$E2E/events.jsonl"

# --- runc-guard config ------------------------------------------------------------------------------------
# write_rg_config JSON: atomically replaces $RUNC_GUARD_CONFIG (root-owned, 0644 as runc-guard requires).
# runc-guard reads it on every invocation, so a test can switch it while the daemons run.
write_rg_config() {
  printf '%s\n' "$1" | jq . >"$RUNC_GUARD_CONFIG.new" || fail "invalid runc-guard config JSON: $1"
  chmod 0644 "$RUNC_GUARD_CONFIG.new"
  mv -f "$RUNC_GUARD_CONFIG.new" "$RUNC_GUARD_CONFIG"
}
# The config every test starts from: the real runc and an event log in the temp dir.
base_rg_config() {
  jq -n --arg runc "$REAL_RUNC" --arg events "$RG_EVENTS" '{runtime: {path: $runc}, log: {events: $events}}'
}

# events_for ID EVENT: event-log lines for container ID with event name EVENT (JSON lines).
events_for() {
  [ -f "$RG_EVENTS" ] || return 0
  jq -c --arg id "$1" --arg ev "$2" 'select(.id == $id and .event == $ev)' "$RG_EVENTS"
}
# assert_events_valid: every line of the event log is a JSON object with the documented fields, no guard
# failed (open or closed), and the watchdog neither failed nor saw a blocked init (real runc 1.1.5 with
# healthy containers: nothing may be touched).
assert_events_valid() {
  [ -f "$RG_EVENTS" ] || return 0
  jq -e -c 'select((.time|type) != "string" or (.event|type) != "string" or (.command|type) != "string" or (has("id")|not))' \
    "$RG_EVENTS" >"$E2E/bad-events" 2>&1 && fail "malformed event-log lines: $(head -3 "$E2E/bad-events")"
  jq -s -e . "$RG_EVENTS" >/dev/null 2>&1 || fail "event log $RG_EVENTS is not JSON lines: $(head -3 "$RG_EVENTS")"
  local bad
  bad=$(jq -c 'select(.event | test("^(guard\\.failed|guard\\.refused|spec\\.flush_failed|watchdog\\.failed|seccomp\\.cache_error|init\\..*)$"))' "$RG_EVENTS")
  [ -z "$bad" ] || fail "runc-guard reported failures or acted on healthy containers: $bad"
}

# guard_processes: pids of runc-guard processes of this test (exe is our binary, our config in their
# environment) — after exec runc is runc, so any such process is a watchdog (or a hung runc-guard).
guard_processes() {
  local p exe
  for p in /proc/[0-9]*; do
    exe=$(readlink "$p/exe" 2>/dev/null) || continue
    [ "${exe% (deleted)}" = "$(readlink -f "$GUARD")" ] || continue
    tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qxF "RUNC_GUARD_CONFIG=$RUNC_GUARD_CONFIG" && echo "${p#/proc/}"
  done
  return 0
}
# assert_no_guard_processes: no watchdog outlives its watch (waits up to 5s for watches just ending).
assert_no_guard_processes() {
  local i left
  for ((i = 0; i < 50; i++)); do
    left=$(guard_processes)
    [ -z "$left" ] && return 0
    sleep 0.1
  done
  fail "runc-guard processes left behind with no container to watch: $(for p in $left; do tr '\0' ' ' <"/proc/$p/cmdline"; echo " (pid $p)"; done)"
}

# event_summary: "name×count ..." of the event log, for the test's output.
event_summary() {
  [ -s "$RG_EVENTS" ] || { echo "(empty)"; return 0; }
  jq -r .event "$RG_EVENTS" | sort | uniq -c | awk '{printf "%s×%s ", $2, $1}'
}

# --- runc argv recorder -----------------------------------------------------------------------------------
# A root-owned wrapper used as runtime.path: it records that runc-guard exec'd it (the RUNC_GUARD_ACTIVE
# marker runc-guard adds), its argv, and the stdin of `update -r -`, then execs the real runc in place.
RECORDER="$E2E/runc-recorder"
RECORDED="$E2E/runc-calls.log"
make_recorder() {
  cat >"$RECORDER" <<EOF
#!/bin/bash
{ printf 'marker=%s' "\${RUNC_GUARD_ACTIVE:-unset}"; printf ' %q' "\$0" "\$@"; printf '\n'; } >>'$RECORDED'
args=" \$* "
if [[ \$args == *" update "* && \$args == *" - "* ]]; then
  f=\$(mktemp '$E2E/update-stdin.XXXXXX')
  cat >"\$f"
  exec '$REAL_RUNC' "\$@" <"\$f"
fi
exec '$REAL_RUNC' "\$@"
EOF
  chmod 0755 "$RECORDER"
  : >"$RECORDED"
}
# recorded_commands ID: the runc commands (create, start, exec, ...) recorded for container ID, one per line.
recorded_commands() {
  awk -v id="$1" '$0 ~ id {
      for (i = 3; i <= NF; i++) {
        if ($i ~ /^--(root|log|log-format|criu)$/) { i++; continue }
        if ($i ~ /^-/) continue
        print $i; break
      }
    }' "$RECORDED"
}

# --- daemons ----------------------------------------------------------------------------------------------
CTRD_PID=
DOCKERD_PID=

tail_log() { echo "--- last lines of $1 ---" >&2; tail -n "${2:-30}" "$1" >&2 || true; }

start_containerd() {
  mkdir -p "$CTRD_ROOT" "$CTRD_STATE" "$E2E/opt"
  cat >"$E2E/containerd.toml" <<EOF
version = 2
root = "$CTRD_ROOT"
state = "$CTRD_STATE"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$CTRD_SOCK"
[ttrpc]
  address = "$CTRD_SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$E2E/opt"
EOF
  containerd --config "$E2E/containerd.toml" --log-level info >"$E2E/containerd.log" 2>&1 &
  CTRD_PID=$!
  on_exit stop_containerd
  local i
  for ((i = 0; i < 200; i++)); do
    kill -0 "$CTRD_PID" 2>/dev/null || { tail_log "$E2E/containerd.log"; fail "containerd exited during start-up"; }
    ctr --address "$CTRD_SOCK" version >/dev/null 2>&1 && { log "containerd up (pid $CTRD_PID)"; return 0; }
    sleep 0.1
  done
  tail_log "$E2E/containerd.log"
  fail "containerd did not answer on $CTRD_SOCK within 20s"
}

stop_containerd() {
  [ -n "$CTRD_PID" ] || return 0
  # Shims outlive containerd by design; ours are the ones started with our containerd's address.
  local shims pid
  shims=$(for pid in $(pgrep -x containerd-shim 2>/dev/null; pgrep -f '^/usr/bin/containerd-shim-runc-v2 ' 2>/dev/null); do
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-address $CTRD_SOCK " && echo "$pid"
  done)
  kill_and_wait "$CTRD_PID" containerd
  CTRD_PID=
  for pid in $shims; do kill -KILL "$pid" 2>/dev/null; done
}

# kill_and_wait PID NAME: SIGTERM, up to 20s, then SIGKILL.
kill_and_wait() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    sleep 0.1
  done
  echo "warning: $2 (pid $pid) ignored SIGTERM for 20s; killing it" >&2
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

# start_dockerd [EXTRA_DOCKERD_FLAGS...]: a private dockerd on our containerd, runc-guard registered.
start_dockerd() {
  [ -n "$CTRD_PID" ] || start_containerd
  mkdir -p "$E2E/docker" "$E2E/exec" "$DOCKER_CONFIG"
  # Our own (empty) daemon.json instead of /etc/docker/daemon.json; the libtrust key dockerd 20.10 creates
  # lives in /etc/docker/key.json unless "deprecated-key-path" (config-file only) moves it.
  [ -f "$E2E/daemon.json" ] || jq -n --arg key "$E2E/key.json" '{"deprecated-key-path": $key}' >"$E2E/daemon.json"
  dockerd --config-file "$E2E/daemon.json" \
    --data-root "$E2E/docker" --exec-root "$E2E/exec" --pidfile "$E2E/docker.pid" \
    -H "$DOCKER_HOST" --containerd "$CTRD_SOCK" \
    --bridge=none --iptables=false --ip-masq=false --userland-proxy=false \
    --storage-driver "$E2E_STORAGE_DRIVER" --cgroup-parent "/$(basename "$E2E")" \
    --add-runtime "runc-guard=$GUARD" "$@" >>"$E2E/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  # Registered once; stop_dockerd is a no-op when it is already stopped.
  if [ -z "${E2E_DOCKERD_HOOKED:-}" ]; then on_exit stop_dockerd; E2E_DOCKERD_HOOKED=1; fi
  local i
  for ((i = 0; i < 300; i++)); do
    kill -0 "$DOCKERD_PID" 2>/dev/null || { tail_log "$E2E/dockerd.log"; fail "dockerd exited during start-up"; }
    docker version >/dev/null 2>&1 && { log "dockerd up (pid $DOCKERD_PID) $*"; return 0; }
    sleep 0.1
  done
  tail_log "$E2E/dockerd.log"
  fail "dockerd did not answer on $DOCKER_HOST within 30s"
}

stop_dockerd() {
  [ -n "$DOCKERD_PID" ] || return 0
  kill_and_wait "$DOCKERD_PID" dockerd
  DOCKERD_PID=
}

# remove_all_containers: every container of our private dockerd (nothing else can be in it).
remove_all_containers() {
  [ -n "$DOCKERD_PID" ] || return 0
  local ids
  ids=$(docker ps -aq 2>/dev/null) || return 0
  [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1
  return 0
}

# import_busybox_image: $E2E_IMAGE from a busybox-static rootfs tarball; removed again on exit.
import_busybox_image() {
  local rootfs="$E2E/rootfs" applet
  mkdir -p "$rootfs/bin" "$rootfs/proc" "$rootfs/dev" "$rootfs/sys" "$rootfs/tmp" "$rootfs/etc"
  cp "$(command -v busybox)" "$rootfs/bin/busybox"
  for applet in $("$rootfs/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
  done
  tar -C "$rootfs" -cf "$E2E/rootfs.tar" .
  docker import -c 'ENV PATH=/bin' "$E2E/rootfs.tar" "$E2E_IMAGE" >/dev/null || fail "docker import failed"
  on_exit 'remove_all_containers; [ -z "$DOCKERD_PID" ] || docker rmi -f "$E2E_IMAGE" >/dev/null 2>&1'
  log "imported $E2E_IMAGE"
}

# --- small assertions -------------------------------------------------------------------------------------
assert_eq() {  # assert_eq EXPECTED ACTUAL WHAT
  [ "$1" == "$2" ] || fail "$3: expected $(printf '%q' "$1"), got $(printf '%q' "$2")"
}
assert_contains() {  # assert_contains HAYSTACK NEEDLE WHAT
  [[ "$1" == *"$2"* ]] || fail "$3: expected to contain $(printf '%q' "$2"), got $(printf '%q' "$1")"
}

# container_pid NAME / container_full_id NAME
container_pid() { docker inspect -f '{{.State.Pid}}' "$1"; }
container_full_id() { docker inspect -f '{{.Id}}' "$1"; }

# cgroup_file PID CONTROLLER FILE: a cgroup v1 file of the cgroup PID is in.
cgroup_file() {
  local path
  path=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup")
  [ -n "$path" ] || fail "pid $1 has no $2 cgroup"
  echo "/sys/fs/cgroup/$2$path/$3"
}

# bundle_dir ID: the bundle containerd hands the runtime (config.json lives there while the task exists).
bundle_dir() { echo "$CTRD_STATE/io.containerd.runtime.v2.task/moby/$1"; }

# normalise_docker_error NAME...: stdin with container ids, the given names and our temp dir replaced.
normalise_docker_error() {
  local sed_args=(-E -e "s#$E2E#<E2E>#g" -e 's/[0-9a-f]{64}/<ID>/g' -e 's/\b[0-9a-f]{12}\b/<ID>/g')
  local n
  for n in "$@"; do sed_args+=(-e "s#$n#<NAME>#g"); done
  sed "${sed_args[@]}"
}

# capture CMD...: runs CMD, sets OUT (stdout), ERR (stderr) and RC (exit status) without tripping set -e.
capture() {
  local rc=0
  "$@" >"$E2E/capture.out" 2>"$E2E/capture.err" || rc=$?
  OUT=$(cat "$E2E/capture.out")
  ERR=$(cat "$E2E/capture.err")
  RC=$rc
}
